import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { T, YAML } from '@start9labs/start-sdk'
import { versionGraph } from '../versions'
import { checkHealth } from '../health'
import { cleanEnv, recapBin, recapOut, removeFolder, useDataFolder } from './helpers'

// Updating from the earlier Recap's 0.2.x: a data folder as it left it
// (its database at its last shape, history/<userId>/*.json, its settings
// in store.json; written by pkg/store's TestWriteNodeFixture), run
// through the SDK's version graph as StartOS does on an update; then the
// service starts on it and lists the old recaps.

const fixture = resolve(__dirname, '..', 'fixtures', 'node-0.2')

const systemSmtp: T.SmtpValue = {
  host: 'smtp.example.org',
  port: 587,
  from: 'node@example.org',
  username: 'node',
  password: 'pw-1',
  security: 'starttls',
}

function updateEffects(dataVersion: string | null) {
  const state = {
    dataVersion,
    notifications: [] as T.CreateNotificationParams[],
  }
  const effects = {
    getDataVersion: async () => state.dataVersion,
    setDataVersion: async ({ version }: { version: string | null }) => {
      state.dataVersion = version
      return null
    },
    getSystemSmtp: async () => systemSmtp,
    notification: {
      create: async (n: T.CreateNotificationParams) => {
        state.notifications.push(n)
        return null
      },
    },
  } as unknown as T.Effects
  return { effects, state }
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => res(port))
    })
  })
}

test('an update from 0.2.155 takes over the library, accounts and known settings', async () => {
  const dir = useDataFolder()
  try {
    cpSync(fixture, dir, { recursive: true })
    writeFileSync(
      join(dir, 'store.json'),
      JSON.stringify({
        trial_credits_per_visitor: 5,
        trials_per_ip_per_day: 2,
        tenant_default_credits: 50,
        tenant_credit_replenish_period: 14,
        public_url: 'https://recap.example.org',
        keysat_api_url: 'https://relay.example.org',
      }),
    )
    const { effects, state } = updateEffects('0.2.155:0')
    await versionGraph.init(effects, 'update')
    assert.equal(state.dataVersion, '0.3.0:0')

    const cfg = YAML.parse(readFileSync(join(dir, 'start9', 'config.yaml'), 'utf8'))
    assert.deepEqual(cfg.mode, {
      type: 'multi',
      'admin-email': 'owner@example.org',
      'public-url': 'https://recap.example.org',
      'trial-credits': 5,
      'trials-per-ip-per-day': 2,
      'default-credits': 50,
      'replenish-days': 14,
    })
    assert.deepEqual(cfg.smtp, { type: 'system' })
    assert.ok(existsSync(join(dir, 'start9', 'system-smtp.yaml')))
    await recapOut(dir, 'config', 'check', '--data', dir)

    assert.equal(state.notifications.length, 1)
    const note = state.notifications[0]!
    assert.equal(note.level, 'success')
    assert.match(note.message, /Multi mode; 7 settings taken over/)
    assert.match(note.data ?? '', /keysat_api_url/)

    // The service starts on the adopted folder…
    const port = await freePort()
    const url = `http://127.0.0.1:${port}/healthz`
    const child = spawn(recapBin, ['serve', '--data', dir, '--listen', `127.0.0.1:${port}`], {
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (b) => (stderr += b))
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)))
    let last = await checkHealth(url)
    for (let i = 0; i < 300 && last.result !== 'success'; i++) {
      await new Promise((r) => setTimeout(r, 50))
      last = await checkHealth(url)
    }
    assert.equal(last.result, 'success', stderr)
    child.kill('SIGTERM')
    assert.equal(await exited, 0, stderr)

    // …and lists the old recaps.
    const { users } = JSON.parse(await recapOut(dir, 'user', 'list', '--json', '--data', dir)) as {
      users: { email: string; recaps: number }[]
    }
    const kid = users.find((u) => u.email === 'kid@example.org')
    // Before the start the database knew two (one of them without a
    // file); the service indexed the two files it never had and dropped
    // the row without one.
    assert.equal(kid?.recaps, 3, JSON.stringify(users))
  } finally {
    removeFolder(dir)
  }
})

test('what the earlier settings lacked is reported, with what to do', async () => {
  const dir = useDataFolder()
  try {
    cpSync(fixture, dir, { recursive: true })
    const { effects, state } = updateEffects('0.2.155:0')
    await versionGraph.init(effects, 'update')
    const note = state.notifications[0]!
    assert.equal(note.level, 'warning')
    assert.match(note.data ?? '', /mode\.public-url: required in multi mode.*Configure Multi Mode/)
  } finally {
    removeFolder(dir)
  }
})

test('an update keeps a config.yaml that already loads; a fresh install adopts nothing', async () => {
  const dir = useDataFolder()
  try {
    const file = join(dir, 'start9', 'config.yaml')
    writeFileSync(file, 'mode:\n  type: single\nengine:\n  type: builtin\n')
    const upd = updateEffects('0.2.100:0')
    await versionGraph.init(upd.effects, 'update')
    assert.equal(readFileSync(file, 'utf8'), 'mode:\n  type: single\nengine:\n  type: builtin\n')
    assert.match(upd.state.notifications[0]!.message, /kept as they were/)

    const fresh = updateEffects(null)
    await versionGraph.init(fresh.effects, 'install')
    assert.equal(fresh.state.dataVersion, '0.3.0:0')
    assert.equal(fresh.state.notifications.length, 0)
  } finally {
    removeFolder(dir)
  }
})

test('the version graph reaches this version from every 0.2.x', () => {
  const from = versionGraph.canMigrateFrom().toString()
  assert.match(from, /<0\.3\.0:0|<=0\.3\.0:0/, from)
})
