import { mkdir, rm, writeFile } from 'node:fs/promises'
import { T, YAML } from '@start9labs/start-sdk'
import { storage } from '../storage'

// When config.yaml says smtp.type: system, Recap sends mail through the
// server set in StartOS under System → SMTP. The package hands those
// values to the Go service in DATA/start9/system-smtp.yaml (mode 0600;
// pkg/config reads it and never logs the password): written before the
// service starts and again whenever System SMTP changes (main.ts watches
// it, so a change restarts Recap), removed when System SMTP is unset.

export const systemSmtpPath = 'start9/system-smtp.yaml'

// systemSmtpYaml renders StartOS's value in pkg/config's keys.
export function systemSmtpYaml(v: T.SmtpValue): string {
  const doc: Record<string, unknown> = {
    host: v.host,
    port: v.port,
    security: v.security,
    from: v.from,
  }
  if (v.username) doc.username = v.username
  if (v.password) doc.password = v.password
  return YAML.stringify(doc)
}

// writeSystemSmtp writes (or, for null, removes) the file.
export async function writeSystemSmtp(v: T.SmtpValue | null): Promise<void> {
  const path = storage.main.subpath(systemSmtpPath)
  if (v === null) {
    await rm(path, { force: true })
    return
  }
  await mkdir(storage.main.subpath('start9'), { recursive: true })
  await writeFile(path, systemSmtpYaml(v), { mode: 0o600 })
}
