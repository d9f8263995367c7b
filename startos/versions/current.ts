import { VersionInfo } from '@start9labs/start-sdk'

// The version of Recap this package runs: the Go rewrite, 0.3.0.
export const current = VersionInfo.of({
  version: '0.3.0:0',
  releaseNotes:
    'Recap 0.3.0 is a rewrite in Go: one small program, no database in single mode, and the builtin engine runs entirely on your server. Settings are actions now (Configure …), mail can go through System SMTP, and Show Status replaces the Properties page.',
  migrations: {},
})
