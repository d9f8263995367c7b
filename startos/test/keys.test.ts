import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sections } from '../fileModels/config.yaml'
import { configShape } from '../fileModels/config.yaml'
import { recapOut, removeFolder, useDataFolder } from './helpers'

// The typed model of config.yaml and pkg/config hold the same keys:
// `recap config keys` lists the Go struct's, and this compares them both
// ways, so a key added on either side fails here until the other has it.

function modelKeys(): string[] {
  const out: string[] = []
  for (const k of Object.keys(configShape.shape)) {
    if (k in sections) {
      for (const sub of Object.keys(sections[k as keyof typeof sections].shape)) {
        out.push(`${k}.${sub}`)
      }
    } else {
      out.push(k)
    }
  }
  return out
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
