import { T } from '@start9labs/start-sdk'

// Recap's actions print one result document, the StartOS 0.3.5 shape
// ({version "0", message, value, copyable, qr}); toResult shows it as a
// 0.4 result, titled with the action's name.

export type ResultV0 = {
  version: '0'
  message: string
  value: string | null
  copyable: boolean
  qr: boolean
}

export type Display = { masked?: boolean; qr?: boolean }

export type ResultV1 = T.ActionResult & { version: '1' }

// parseResult reads the document; anything else is an error that names
// what came back.
export function parseResult(stdout: string): ResultV0 {
  let doc: unknown
  try {
    doc = JSON.parse(stdout)
  } catch {
    throw new Error(`recap printed no result document: ${stdout.slice(0, 200)}`)
  }
  const d = doc as Partial<ResultV0>
  if (typeof d !== 'object' || d === null || typeof d.message !== 'string') {
    throw new Error(`recap printed an unexpected result: ${stdout.slice(0, 200)}`)
  }
  return {
    version: '0',
    message: d.message,
    value: typeof d.value === 'string' ? d.value : null,
    copyable: d.copyable === true,
    qr: d.qr === true,
  }
}

export function toResult(title: string, r: ResultV0, show: Display = {}): ResultV1 {
  return {
    version: '1',
    title,
    message: r.message,
    result:
      r.value === null
        ? null
        : {
            type: 'single',
            value: r.value,
            copyable: r.copyable,
            qr: r.qr || show.qr === true,
            masked: show.masked === true,
          },
  }
}
