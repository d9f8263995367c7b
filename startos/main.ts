import { mkdir } from 'node:fs/promises'
import { sdk } from './sdk'
import { syncSystemSmtp } from './smtp'
import { checkHealth, uiPort } from './health'
import { dataDir, mainMounts } from './recap'
import { storage } from './storage'

// One daemon: `recap serve` on the main volume. It reads
// DATA/start9/config.yaml at start, so main re-runs (and Recap restarts)
// when the mail choice or System SMTP changes; other settings are picked
// up at the next start, as the Configure actions say.
export const main = sdk.setupMain(async ({ effects }) => {
  await mkdir(storage.main.subpath('start9'), { recursive: true })

  await syncSystemSmtp(effects)

  return sdk.Daemons.of(effects).addDaemon('primary', {
    subcontainer: sdk.SubContainer.of(
      effects,
      { imageId: 'main' },
      mainMounts,
      'recap-serve',
    ),
    exec: {
      // tini reaps the helpers Recap starts (yt-dlp) and passes SIGTERM
      // on; Recap then cancels running recaps, flushes the library index
      // and checkpoints the database.
      command: [
        'tini',
        '--',
        'recap',
        'serve',
        '--data',
        dataDir,
        '--listen',
        `0.0.0.0:${uiPort}`,
      ],
      sigtermTimeout: 45_000,
    },
    ready: {
      display: 'Web Interface',
      gracePeriod: 45_000,
      fn: () => checkHealth(),
    },
    requires: [],
  })
})
