import { VersionInfo } from '@start9labs/start-sdk'
import { adoptEarlierRecap } from './adopt'

// The version of Recap this package runs: the Go rewrite, 0.3.0. Its
// `up` migration runs for every earlier version (the SDK's range below
// the current one): the earlier Recap's 0.2.x, up to 0.2.155. The 0.3.5
// package's versions 0.3.0(.N) are ExVer 0.3.0:N, the same numbering as
// this package; their config.yaml has this shape already and is kept.
// Going back to 0.2.x is not offered: its settings had another shape.
export const current = VersionInfo.of({
  version: '0.3.0:0',
  releaseNotes:
    'Recap 0.3.0 is a rewrite in Go: one small program, no database in single mode, and the builtin engine runs entirely on your server. Your library, accounts and credits carry over from earlier versions, and so do the settings whose meaning is known; a notification lists them. Settings are actions now (Configure …), mail goes through System SMTP or your own server, and Show Status replaces the Properties page.',
  migrations: {
    up: async ({ effects }) => {
      await adoptEarlierRecap(effects)
    },
  },
})
