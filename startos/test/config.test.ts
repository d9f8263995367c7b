import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { YAML } from '@start9labs/start-sdk'
import {
  configureAccounts,
  configureAdvanced,
  configureEngine,
  configurePayments,
  configureRelay,
  configureSmtp,
} from '../actions/configure'
import { configFile } from '../fileModels/config.yaml'
import { advancedFromForm } from '../actions/configForms'
import { fakeEffects, recapOut, removeFolder, runAction, useDataFolder } from './helpers'

// Every Configure action, end to end: form input → config.yaml written →
// the real `recap config check` passes and `recap config dump` shows the
// values, key by key.

test('Configure actions write a config.yaml the Go service accepts', async () => {
  const dir = useDataFolder()
  const { effects } = fakeEffects()
  try {
    await runAction(configureEngine, effects, {
        engine: {
          selection: 'openai',
          value: {
            'base-url': 'http://llama.embassy:8080/v1',
            'api-key': 'sk-local',
            model: 'llama3.1:8b',
            'context-size': 32768,
            flavor: 'ollama',
          },
        },
    })
    await runAction(configureSmtp, effects, {
        smtp: {
          selection: 'custom',
          value: {
            host: 'smtp.example.org',
            port: 465,
            security: 'tls',
            username: 'recap',
            password: 'hunter22',
            from: 'recap@example.org',
          },
        },
    })
    await runAction(configureAccounts, effects, {
        'admin-email': 'admin@example.org',
        'public-url': 'https://recap.example.org',
        'allow-signups': true,
        'trial-credits': 0,
        'trials-per-ip-per-day': 5,
        'default-credits': 40,
        'replenish-days': 7,
        'credits-per-hour': 2,
        tiers: {
          core: { credits: 40, 'max-hours': 3, llm: false, 'max-waiting': 2 },
          pro: { credits: 300, 'max-hours': 8, llm: true, 'max-waiting': 10 },
          max: { credits: 2000, 'max-hours': 12, llm: true, 'max-waiting': 30 },
        },
    })
    await runAction(configureRelay, effects, { url: 'https://relay.example.org', license: 'LIC-abc123' })
    await runAction(configurePayments, effects, {
        btcpay: {
          url: 'http://btcpayserver.embassy',
          'api-key': 'btcpay-key-1',
          'store-id': 'Store9x',
          'webhook-secret': 'whsec-1',
        },
        zaprite: { url: 'https://api.zaprite.com', 'api-key': 'zap-key-1' },
        currency: 'EUR',
        pro: { sats: 21000, fiat: 900 },
        max: { sats: 84000, fiat: 0 },
        packs: [{ id: 'credits-100', credits: 100, sats: 10000, fiat: 500 }],
    })
    await runAction(configureAdvanced, effects, {
        'youtube-base-url': 'https://www.youtube.com',
        'yt-dlp-path': null,
        'max-upload-mb': 64,
        'max-duration-hours': 12,
        'max-words': 100000,
        'max-words-per-hour': 20000,
        'job-concurrency': 3,
        'follow-interval-hours': 6,
        'max-follows': 10,
        'max-follow-recaps-per-day': 5,
        'follow-digest': 'weekly',
        'log-level': 'debug',
        'trusted-proxies': ['10.0.3.0/24', ' 192.0.2.1 '],
    })

    await recapOut(dir, 'config', 'check', '--data', dir)
    const dump = YAML.parse(await recapOut(dir, 'config', 'dump', '--data', dir))
    assert.deepEqual(dump.engine, {
      type: 'openai',
      'base-url': 'http://llama.embassy:8080/v1',
      'api-key': '********',
      model: 'llama3.1:8b',
      'context-size': 32768,
      flavor: 'ollama',
    })
    assert.deepEqual(dump.smtp, {
      type: 'custom',
      host: 'smtp.example.org',
      port: 465,
      security: 'tls',
      username: 'recap',
      password: '********',
      from: 'recap@example.org',
    })
    assert.deepEqual(dump.relay, { url: 'https://relay.example.org', license: '********' })
    assert.deepEqual(dump.payments, {
      btcpay: { url: 'http://btcpayserver.embassy', 'api-key': '********', 'store-id': 'Store9x', 'webhook-secret': '********' },
      zaprite: { url: 'https://api.zaprite.com', 'api-key': '********' },
      currency: 'EUR',
      pro: { sats: 21000, fiat: 900 },
      max: { sats: 84000, fiat: 0 },
      packs: [{ id: 'credits-100', credits: 100, sats: 10000, fiat: 500 }],
    })
    assert.equal(dump.mode.type, 'single', 'Configure Multi Mode does not switch the mode')
    assert.equal(dump.mode['admin-email'], 'admin@example.org')
    assert.equal(dump.mode['default-credits'], 40)
    assert.equal(dump.mode['trial-credits'], 0)
    assert.equal(dump.mode['replenish-days'], 7)
    assert.equal(dump.mode['credits-per-hour'], 2)
    assert.deepEqual(dump.mode.tiers.max, { credits: 2000, 'max-hours': 12, llm: true, 'max-waiting': 30 })
    assert.equal(dump.advanced['max-upload-mb'], 64)
    assert.equal(dump.advanced['log-level'], 'debug')
    assert.deepEqual(dump.advanced['trusted-proxies'], ['10.0.3.0/24', '192.0.2.1'])
    assert.equal(dump.advanced['max-words'], 100000)
    assert.equal(dump.advanced['max-words-per-hour'], 20000)
    assert.equal(dump.advanced['follow-interval-hours'], 6)
    assert.equal(dump.advanced['max-follows'], 10)
    assert.equal(dump.advanced['max-follow-recaps-per-day'], 5)
    assert.equal(dump.advanced['follow-digest'], 'weekly')

    // The secrets are in the file (the service needs them) and the file
    // is the owner's only.
    const raw = readFileSync(join(dir, 'start9', 'config.yaml'), 'utf8')
    assert.match(raw, /hunter22/)

    // The pre-fill shows what was saved.
    const prefill = (await configureEngine.getInput({ effects, prefill: null })).value as any
    assert.equal(prefill.engine.selection, 'openai')
    assert.equal(prefill.engine.value.model, 'llama3.1:8b')

    // The relay engine, now that a relay is set up.
    await runAction(configureEngine, effects, { engine: { selection: 'relay', value: {} } })
    await recapOut(dir, 'config', 'check', '--data', dir)

    // Back to the builtin engine: the openai keys go.
    await runAction(configureEngine, effects, { engine: { selection: 'builtin', value: {} } })
    const after = YAML.parse(readFileSync(join(dir, 'start9', 'config.yaml'), 'utf8'))
    assert.deepEqual(after.engine, { type: 'builtin' })
  } finally {
    removeFolder(dir)
  }
})

test('a value the Go service refuses is not saved, and the checker says why', async () => {
  const dir = useDataFolder()
  const { effects } = fakeEffects()
  try {
    await runAction(configureAdvanced, effects, {
        'youtube-base-url': 'https://www.youtube.com',
        'yt-dlp-path': null,
        'max-upload-mb': 20,
        'max-duration-hours': 6,
        'max-words': 250000,
        'max-words-per-hour': 30000,
        'job-concurrency': 2,
        'follow-interval-hours': 3,
        'max-follows': 50,
        'max-follow-recaps-per-day': 20,
        'follow-digest': 'off',
        'log-level': 'warn',
        'trusted-proxies': [],
    })
    const before = readFileSync(join(dir, 'start9', 'config.yaml'), 'utf8')
    await assert.rejects(
      runAction(configureSmtp, effects, {
          smtp: {
            selection: 'custom',
            value: {
              host: 'smtp.example.org',
              port: 25,
              security: 'none',
              username: 'recap',
              password: 'pw',
              from: 'recap@example.org',
            },
          },
        },
      ),
      /smtp\.security: none would send the password unencrypted/,
    )
    assert.equal(readFileSync(join(dir, 'start9', 'config.yaml'), 'utf8'), before)
    assert.equal(existsSync(join(dir, 'start9', 'config.candidate.yaml')), false)
  } finally {
    removeFolder(dir)
  }
})

test('saving a form keeps keys this package does not model', () => {
  // A key a newer Recap wrote survives reading the file, the form's
  // mapping and writing the file again.
  const file = configFile()
  const read = file.validate(YAML.parse('advanced:\n  job-concurrency: 4\n  future-key: x\n'))
  const next = advancedFromForm(
    {
      'youtube-base-url': 'https://www.youtube.com',
      'yt-dlp-path': null,
      'max-upload-mb': 20,
      'max-duration-hours': 6,
      'max-words': 250000,
      'max-words-per-hour': 30000,
      'job-concurrency': 8,
      'follow-interval-hours': 3,
      'max-follows': 50,
      'max-follow-recaps-per-day': 20,
      'follow-digest': 'off',
      'log-level': 'info',
      'trusted-proxies': [],
    },
    read.advanced,
  )
  const written = YAML.parse(file.writeData(file.validate({ ...read, advanced: next })))
  assert.equal(written.advanced['future-key'], 'x')
  assert.equal(written.advanced['job-concurrency'], 8)
})
