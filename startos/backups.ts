import { sdk } from './sdk'

// StartOS 0.4 stops Recap before it backs up, and Recap checkpoints its
// database on SIGTERM, so the volume is copied at rest: recap.db holds
// everything (a WAL file left by a crash is copied with it and replayed
// when the database is next opened; nothing writes during the copy).
// cache/ is re-creatable and left out. The snapshots of Create Backup in
// backups/ are kept: they are the owner's own restore points.
export const { createBackup, restoreInit } = sdk.setupBackups(async () =>
  sdk.Backups.ofVolumes('main').setBackupOptions({
    exclude: ['cache/', '*.tmp'],
  }),
)
