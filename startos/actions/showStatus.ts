import { readFile } from 'node:fs/promises'
import { T, YAML } from '@start9labs/start-sdk'
import { sdk } from '../sdk'
import { storage } from '../storage'

// Show Status replaces the 0.3.5 Properties page: Recap keeps
// DATA/start9/stats.yaml (Properties version 2) up to date while it
// runs, and this action shows its entries, with their masked, copyable
// and QR settings.

export const statsPath = 'start9/stats.yaml'

type Entry = {
  type?: string
  value?: unknown
  description?: string | null
  copyable?: boolean
  qr?: boolean
  masked?: boolean
}

// statusMembers turns the Properties document into result members.
export function statusMembers(doc: unknown): T.ActionResultMember[] {
  const data = (doc as { data?: Record<string, Entry> } | null)?.data ?? {}
  const out: T.ActionResultMember[] = []
  for (const [name, e] of Object.entries(data)) {
    if (e?.type === 'object' && e.value && typeof e.value === 'object') {
      out.push({
        name,
        description: e.description ?? null,
        type: 'group',
        value: statusMembers({ data: e.value }),
      })
      continue
    }
    out.push({
      name,
      description: e?.description ?? null,
      type: 'single',
      value: String(e?.value ?? ''),
      copyable: e?.copyable === true,
      qr: e?.qr === true,
      masked: e?.masked === true,
    })
  }
  return out
}

export async function readStatus(): Promise<T.ActionResult & { version: '1' }> {
  let raw: string
  try {
    raw = await readFile(storage.main.subpath(statsPath), 'utf8')
  } catch {
    return {
      version: '1',
      title: 'Status',
      message: 'Recap has not started yet. Start it, then run Show Status again.',
      result: null,
    }
  }
  return {
    version: '1',
    title: 'Status',
    message: null,
    result: { type: 'group', value: statusMembers(YAML.parse(raw)) },
  }
}

export const showStatus = sdk.Action.withoutInput(
  'show-status',
  async () => ({
    name: 'Show Status',
    description:
      'The mode, version, the first owner password (until you change it) and how many recaps your library holds.',
    warning: null,
    allowedStatuses: 'any',
    group: null,
    visibility: 'enabled',
  }),
  async () => readStatus(),
)
