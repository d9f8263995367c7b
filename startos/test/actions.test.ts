import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { YAML } from '@start9labs/start-sdk'
import { recapActions } from '../actions/recapActions'
import { actions } from '../actions'
import { recap } from '../recap'
import { fakeEffects, metadataOf, repoRoot, runAction } from './helpers'

// Every action of manifest.yaml (the 0.3.5 package) has a 0.4 action
// that runs the same `recap action ID` command with the same input keys,
// and the 0.4 package has no such action that manifest.yaml lacks.

type ManifestAction = {
  name: string
  'allowed-statuses': string[]
  implementation: { entrypoint: string; args: string[] }
  'input-spec': Record<string, unknown>
}

const manifest = YAML.parse(readFileSync(join(repoRoot, 'manifest.yaml'), 'utf8')) as {
  actions: Record<string, ManifestAction>
}

// Statuses differ where 0.4 runs the action differently, on purpose:
// switch-mode runs in its own container on 0.4, where it cannot restart
// the service, so it runs while Recap is stopped (docs/startos.md).
const statusExceptions: Record<string, string> = { 'switch-mode': 'only-stopped' }

function statuses(s: string[]): string {
  const running = s.includes('running')
  const stopped = s.includes('stopped')
  return running && stopped ? 'any' : running ? 'only-running' : 'only-stopped'
}

// Valid input for each form, as a person would fill it in.
const inputs: Record<string, object> = {
  'create-backup': { keep: 3 },
  'restore-backup': { snapshot: 'latest' },
  'switch-mode': { mode: 'multi' },
  'revoke-sessions': { email: 'ann@example.org' },
  'invite-user': { email: 'bob@example.org' },
  'remove-user': { email: 'bob@example.org', recaps: 2 },
  'grant-credits': { email: 'bob@example.org', credits: 25, note: null },
  'set-tier': { email: 'bob@example.org', tier: 'max', days: 0 },
}

test('manifest.yaml and the 0.4 package have the same recap actions', async () => {
  const ids = Object.keys(manifest.actions).sort()
  assert.deepEqual(Object.keys(recapActions).sort(), ids)
  const { effects } = fakeEffects()
  for (const id of ids) {
    assert.ok(actions.get(id), `${id} is registered in actions/index.ts`)
  }

  const calls: { args: string[]; input: string }[] = []
  recap.run = async (_e, args, input) => {
    calls.push({ args, input })
    return {
      exitCode: 0,
      stdout: JSON.stringify({ version: '0', message: 'done', value: 'v', copyable: true, qr: false }),
      stderr: '',
    }
  }
  for (const id of ids) {
    const m = manifest.actions[id]!
    const action = recapActions[id as keyof typeof recapActions]
    const meta = await metadataOf(action, effects)
    assert.equal(meta.name, m.name, `${id}: name`)
    assert.equal(meta.allowedStatuses, statusExceptions[id] ?? statuses(m['allowed-statuses']), `${id}: statuses`)

    calls.length = 0
    const { form, res } = await runAction(action, effects, inputs[id] ?? {})
    assert.deepEqual(Object.keys(form.spec).sort(), Object.keys(m['input-spec']).sort(), `${id}: form keys`)
    assert.equal(calls.length, 1)
    assert.equal(m.implementation.entrypoint, 'recap')
    assert.deepEqual(calls[0]!.args, m.implementation.args, `${id}: command`)
    assert.deepEqual(Object.keys(JSON.parse(calls[0]!.input)).sort(), Object.keys(m['input-spec']).sort(), `${id}: stdin keys`)
    assert.equal(res?.version, '1')
    if (res?.version === '1') {
      assert.equal(res.title, m.name)
      assert.equal(res.message, 'done')
      assert.equal(res.result?.type, 'single')
    }
  }
})

test('a failing recap action shows its own reason', async () => {
  const { effects } = fakeEffects()
  recap.run = async () => ({ exitCode: 2, stdout: '', stderr: 'there are no snapshots yet; run Create Backup first\n' })
  await assert.rejects(
    runAction(recapActions['restore-backup'], effects, { snapshot: 'latest' }),
    /there are no snapshots yet; run Create Backup first/,
  )
})

test('secrets are masked in results', async () => {
  const { effects } = fakeEffects()
  recap.run = async () => ({
    exitCode: 0,
    stdout: JSON.stringify({ version: '0', message: 'New password', value: 'correct horse', copyable: true, qr: false }),
    stderr: '',
  })
  const { res } = await runAction(recapActions['reset-owner-password'], effects, {})
  assert.ok(res?.version === '1' && res.result?.type === 'single' && res.result.masked && res.result.copyable)
  const link = await runAction(recapActions['admin-login-link'], effects, {})
  assert.ok(link.res?.version === '1' && link.res.result?.type === 'single' && link.res.result.masked && link.res.result.qr)
})

test('recap actions run the real commands on the data folder', async () => {
  const { useDataFolder, removeFolder } = await import('./helpers')
  const dir = useDataFolder()
  const { effects } = fakeEffects()
  try {
    const made = await runAction(recapActions['create-backup'], effects, { keep: 2 })
    assert.ok(made.res?.version === '1' && made.res.result?.type === 'single')
    const name = made.res.version === '1' && made.res.result?.type === 'single' ? made.res.result.value : ''
    assert.match(name, /^recap-\d{8}T\d{6}Z\.tar\.gz$/)
    const stats = await runAction(recapActions['library-stats'], effects, {})
    assert.ok(stats.res?.version === '1')
    assert.match(stats.res.message ?? '', /Your library holds 0 recaps/)
  } finally {
    removeFolder(dir)
  }
})
