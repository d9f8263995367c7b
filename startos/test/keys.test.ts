import { test } from 'node:test'
import assert from 'node:assert/strict'
import { configShape } from '../fileModels/config.yaml'
import { recapOut, removeFolder, useDataFolder } from './helpers'

// The typed model of config.yaml and pkg/config hold the same keys:
// `recap config keys` lists the Go struct's, and this compares them both
// ways, so a key added on either side fails here until the other has it.

// modelKeys walks the zod shapes: objects (also optional or with a
// fallback) down to their leaves, as dotted paths.
function modelKeys(schema: unknown = configShape, prefix = ''): string[] {
  let s = schema as { shape?: Record<string, unknown>; _zod?: { def?: { innerType?: unknown } } }
  while (!s.shape && s._zod?.def?.innerType) s = s._zod.def.innerType as typeof s
  if (!s.shape) return [prefix.replace(/\.$/, '')]
  return Object.entries(s.shape).flatMap(([k, v]) => modelKeys(v, `${prefix}${k}.`))
}

test('the config model has every key of pkg/config and no other', async () => {
  const dir = useDataFolder()
  try {
    const goKeys = (await recapOut(dir, 'config', 'keys')).trim().split('\n')
    const ts = modelKeys()
    assert.deepEqual(
      goKeys.filter((k) => !ts.includes(k)),
      [],
      'keys of pkg/config missing from fileModels/config.yaml.ts',
    )
    assert.deepEqual(
      ts.filter((k) => !goKeys.includes(k)),
      [],
      'keys of fileModels/config.yaml.ts that pkg/config does not know',
    )
  } finally {
    removeFolder(dir)
  }
})
