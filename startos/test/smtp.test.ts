import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { T, YAML } from '@start9labs/start-sdk'
import { configureAccounts, configureSmtp } from '../actions/configure'
import { syncSystemSmtp } from '../smtp'
import { recapOut, removeFolder, runAction, useDataFolder, fakeEffects, runRecap } from './helpers'

// System SMTP: StartOS's values → system-smtp.yaml → the Go side's view
// of SMTP (`recap config dump`), multi mode with nothing else set up, and
// a change in System → SMTP reaching Recap.

const gmail: T.SmtpValue = {
  host: 'smtp.gmail.com',
  port: 465,
  from: 'Recap <node@example.org>',
  username: 'node@example.org',
  password: 'app-password-1',
  security: 'tls',
}

// watchingEffects answers getSystemSmtp like StartOS: the callback it is
// given fires when the value changes, which makes a const() reader's
// context retry (main.ts re-runs, the service restarts).
function watchingEffects(smtp: T.SmtpValue | null) {
  const state = { smtp, retries: 0, callbacks: [] as (() => void)[], leave: [] as (() => void)[] }
  const effects = {
    isInContext: true,
    onLeaveContext: (f: () => void) => state.leave.push(f),
    constRetry: () => {
      state.retries++
    },
    getSystemSmtp: async ({ callback }: { callback?: () => void }) => {
      if (callback) state.callbacks.push(callback)
      return state.smtp
    },
  } as unknown as T.Effects
  const change = (v: T.SmtpValue | null) => {
    state.smtp = v
    const cbs = state.callbacks.splice(0)
    cbs.forEach((f) => f())
  }
  const close = () => {
    ;(effects as any).isInContext = false
    state.leave.forEach((f) => f())
  }
  return { effects, state, change, close }
}

test('multi mode runs on System SMTP alone, and a change reaches Recap', async () => {
  const dir = useDataFolder()
  const w = watchingEffects(gmail)
  try {
    await runAction(configureAccounts, w.effects, {
      'admin-email': 'admin@example.org',
      'public-url': null,
      'allow-signups': false,
      'trial-credits': 3,
      'trials-per-ip-per-day': 3,
      'default-credits': 20,
      'replenish-days': 30,
      'credits-per-hour': 1,
      tiers: {
        core: { credits: 20, 'max-hours': 2, llm: false, 'max-waiting': 3 },
        pro: { credits: 200, 'max-hours': 6, llm: true, 'max-waiting': 10 },
        max: { credits: 1000, 'max-hours': 6, llm: true, 'max-waiting': 20 },
      },
    })
    await runAction(configureSmtp, w.effects, { smtp: { selection: 'system', value: { from: null } } })

    const sysFile = join(dir, 'start9', 'system-smtp.yaml')
    assert.equal(statSync(sysFile).mode & 0o777, 0o600)

    // Multi mode with nothing but System SMTP: the switch's own checks
    // (admin, mail) pass and the config is valid.
    const cfg = join(dir, 'start9', 'config.yaml')
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('type: single', 'type: multi'))
    await recapOut(dir, 'config', 'check', '--data', dir)
    let smtp = YAML.parse(await recapOut(dir, 'config', 'dump', '--data', dir)).smtp
    assert.deepEqual(smtp, {
      type: 'system',
      host: 'smtp.gmail.com',
      port: 465,
      security: 'tls',
      username: 'node@example.org',
      password: '********',
      from: 'Recap <node@example.org>',
    })

    // main.ts: the file follows System SMTP, and a change retries main.
    await syncSystemSmtp(w.effects)
    const retriesBefore = w.state.retries
    w.change({ ...gmail, host: 'mail.example.net', port: 587, security: 'starttls', password: 'app-password-2' })
    await new Promise((r) => setTimeout(r, 20))
    assert.ok(w.state.retries > retriesBefore, 'a System SMTP change restarts Recap')
    await syncSystemSmtp(w.effects)
    smtp = YAML.parse(await recapOut(dir, 'config', 'dump', '--data', dir)).smtp
    assert.equal(smtp.host, 'mail.example.net')
    assert.equal(smtp.port, 587)
    assert.equal(smtp.security, 'starttls')
    assert.match(readFileSync(sysFile, 'utf8'), /app-password-2/)

    // System SMTP removed in StartOS: the file goes, and multi mode says why
    // it cannot start.
    w.change(null)
    await syncSystemSmtp(w.effects)
    assert.equal(existsSync(sysFile), false)
    const res = await runRecap(dir, ['config', 'check', '--data', dir])
    assert.notEqual(res.exitCode, 0)
    assert.match(res.stderr, /System SMTP is not set up in StartOS/)
  } finally {
    w.close()
    removeFolder(dir)
  }
})

test('a sender address overrides System SMTP’s, and other choices remove the file', async () => {
  const dir = useDataFolder()
  const w = watchingEffects(gmail)
  try {
    await runAction(configureSmtp, w.effects, { smtp: { selection: 'system', value: { from: 'recap@example.org' } } })
    const smtp = YAML.parse(await recapOut(dir, 'config', 'dump', '--data', dir)).smtp
    assert.equal(smtp.from, 'recap@example.org')
    await runAction(configureSmtp, fakeEffects().effects, { smtp: { selection: 'disabled', value: {} } })
    await syncSystemSmtp(w.effects)
    assert.equal(existsSync(join(dir, 'start9', 'system-smtp.yaml')), false)
  } finally {
    w.close()
    removeFolder(dir)
  }
})
