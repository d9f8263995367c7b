import { T } from '@start9labs/start-sdk'
import { sdk } from './sdk'
import { configFile } from './fileModels/config.yaml'
import { writeSystemSmtp } from './fileModels/systemSmtp'

// syncSystemSmtp brings DATA/start9/system-smtp.yaml in line with the
// mail choice and StartOS's System SMTP. main.ts calls it with its
// effects, so both are watched: when the choice or System → SMTP
// changes, main runs again and Recap restarts with the new values. With
// another choice the file is removed, so no stale password stays on disk.
export async function syncSystemSmtp(effects: T.Effects): Promise<void> {
  const type = await configFile()
    .read((c) => c.smtp.type)
    .const(effects)
  await writeSystemSmtp(
    type === 'system' ? await sdk.getSystemSmtp(effects).const() : null,
  )
}
