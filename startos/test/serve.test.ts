import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { checkHealth, readHealth } from '../health'
import { readStatus } from '../actions/showStatus'
import { cleanEnv, recapBin, removeFolder, useDataFolder } from './helpers'

// The daemon as main.ts runs it: `recap serve` on the data folder, ready
// when the ready check says so, gone cleanly on SIGTERM; then Show
// Status reads what the service wrote.

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

test('the ready check reads /healthz like recap healthcheck', () => {
  assert.equal(readHealth(200, '{"status":"ok","mode":"single"}').result, 'success')
  assert.deepEqual(readHealth(503, '{"status":"migrating","message":"upgrading the database"}'), {
    result: 'loading',
    message: 'upgrading the database',
  })
  assert.deepEqual(readHealth(503, '{"status":"loading"}'), { result: 'loading', message: 'Recap is loading' })
  assert.deepEqual(readHealth(500, '{"status":"error","message":"disk full\\nmore"}'), { result: 'failure', message: 'disk full' })
  assert.equal(readHealth(502, 'Bad Gateway').result, 'failure')
})

test('recap serve becomes ready, shows its status and stops cleanly on SIGTERM', async () => {
  const dir = useDataFolder()
  const port = await freePort()
  const url = `http://127.0.0.1:${port}/healthz`
  try {
    assert.equal((await checkHealth(url)).result, 'starting', 'a closed port is starting')
    const child = spawn(recapBin, ['serve', '--data', dir, '--listen', `127.0.0.1:${port}`], {
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (b) => (stderr += b))
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)))
    let last = await checkHealth(url)
    for (let i = 0; i < 200 && last.result !== 'success'; i++) {
      await new Promise((r) => setTimeout(r, 50))
      last = await checkHealth(url)
    }
    assert.equal(last.result, 'success', stderr)

    const status = await readStatus()
    assert.equal(status.result?.type, 'group')
    const members = status.result?.type === 'group' ? status.result.value : []
    const byName = Object.fromEntries(members.map((m) => [m.name, m]))
    assert.equal(byName['Mode']?.type === 'single' && byName['Mode'].value, 'single')
    const pw = byName['Owner Password']
    assert.ok(pw?.type === 'single' && pw.masked && pw.copyable && pw.value.length >= 12, 'the first owner password, masked')

    child.kill('SIGTERM')
    assert.equal(await exited, 0, stderr)
  } finally {
    removeFolder(dir)
  }
})

test('Show Status before the first start says so', async () => {
  const dir = useDataFolder()
  try {
    const s = await readStatus()
    assert.equal(s.result, null)
    assert.match(s.message ?? '', /has not started yet/)
  } finally {
    removeFolder(dir)
  }
})
