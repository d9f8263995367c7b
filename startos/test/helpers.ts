import { execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { T } from '@start9labs/start-sdk'
import { dataDir, recap, RecapRun } from '../recap'
import { storage } from '../storage'

// What the tests stand in for is the system boundary only: the main
// volume is a temporary folder, the container that runs `recap` is the
// real binary (built by `npm test`'s pretest into .test/recap) run on
// that folder, and the StartOS effects the code calls are answered here.

export const repoRoot = resolve(__dirname, '..', '..', '..')
export const recapBin =
  process.env.RECAP_BIN ?? resolve(__dirname, '..', 'bin', 'recap')

const run = promisify(execFile)

// useDataFolder points the package at a fresh data folder and the recap
// runner at the real binary on it; it returns the folder.
export function useDataFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'recap-startos-'))
  mkdirSync(join(dir, 'start9'), { recursive: true })
  storage.root = dir
  recap.run = async (_effects, args, input) => runRecap(dir, args, input)
  return dir
}

export function removeFolder(dir: string) {
  rmSync(dir, { recursive: true, force: true })
}

// runRecap runs the binary with dataDir in ARGS mapped to dir.
export function runRecap(dir: string, args: string[], input = ''): Promise<RecapRun> {
  const mapped = args.map((a) =>
    a === dataDir ? dir : a.startsWith(dataDir + '/') ? dir + a.slice(dataDir.length) : a,
  )
  return new Promise((res, rej) => {
    const child = spawn(recapBin, mapped, { env: cleanEnv() })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b) => (stdout += b))
    child.stderr.on('data', (b) => (stderr += b))
    child.on('error', rej)
    child.on('close', (code) => res({ exitCode: code, stdout, stderr }))
    child.stdin.on('error', () => {}) // a command that reads nothing may exit first
    child.stdin.end(input)
  })
}

// cleanEnv drops RECAP_* overrides that would change what the binary reads.
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('RECAP_')) env[k] = v
  }
  return env
}

export async function recapOut(dir: string, ...args: string[]): Promise<string> {
  const res = await runRecap(dir, args)
  if (res.exitCode !== 0) {
    throw new Error(`recap ${args.join(' ')}: exit ${res.exitCode}: ${res.stderr}`)
  }
  return res.stdout
}

export { run as execFileAsync }

// fakeEffects answers the few effects the package's code calls outside a
// container: System SMTP (set through .smtp) and nothing else.
export function fakeEffects(smtp: T.SmtpValue | null = null) {
  const state = { smtp }
  const effects = {
    getSystemSmtp: async () => state.smtp,
    constRetry: () => {},
    clearCallbacks: async () => null,
  } as unknown as T.Effects
  return { effects, state }
}

type AnyAction = {
  getInput(o: { effects: T.Effects; prefill: null }): Promise<T.ActionInput>
  run(o: { effects: T.Effects; input: any }): Promise<T.ActionResult | null>
  exportMetadata(o: { effects: T.Effects }): Promise<T.ActionMetadata>
}

let events = 0

// runAction runs an action as StartOS does: the form first (getInput),
// then run with the same event id, where the SDK validates the input
// against the form.
export async function runAction(action: AnyAction, effects: T.Effects, input: unknown) {
  const e = Object.assign(Object.create(effects), { eventId: `event-${++events}` }) as T.Effects
  const form = await action.getInput({ effects: e, prefill: null })
  const res = await action.run({ effects: e, input })
  return { form, res }
}

// metadataOf returns what an action tells StartOS about itself.
export async function metadataOf(action: AnyAction, effects: T.Effects): Promise<T.ActionMetadata> {
  const e = Object.assign(Object.create(effects), {
    child: () => e,
    action: { export: async () => null },
  }) as T.Effects
  return action.exportMetadata({ effects: e })
}
