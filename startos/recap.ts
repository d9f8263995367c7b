import { T } from '@start9labs/start-sdk'
import { sdk } from './sdk'

// Everything the package asks of Recap goes through the recap binary in
// the image, with the main volume at /data: `recap action ID`, `recap
// config check`. This is the one place that starts a container, and the
// tests replace `recap.run` with the real binary run on a temporary data
// folder.

export const dataDir = '/data'

export type RecapRun = {
  exitCode: number | null
  stdout: string
  stderr: string
}

export const mainMounts = sdk.Mounts.of().mountVolume({
  volumeId: 'main',
  subpath: null,
  mountpoint: dataDir,
  readonly: false,
})

async function runInContainer(
  effects: T.Effects,
  args: string[],
  input: string,
): Promise<RecapRun> {
  return sdk.SubContainer.withTemp(
    effects,
    { imageId: 'main' },
    mainMounts,
    `recap-${args[0] ?? 'run'}`,
    async (sub) => {
      const res = await sub.exec(['recap', ...args], { input }, 5 * 60_000)
      return {
        exitCode: res.exitCode,
        stdout: res.stdout.toString(),
        stderr: res.stderr.toString(),
      }
    },
  )
}

export const recap = {
  // run executes `recap ARGS` with input on stdin. Paths in ARGS use
  // dataDir; the tests' runner maps it to their folder.
  run: runInContainer as (
    effects: T.Effects,
    args: string[],
    input: string,
  ) => Promise<RecapRun>,
}

// RecapError is a failed recap command: its own words (stderr) are what
// the owner sees.
export class RecapError extends Error {}

// runOk runs a command and returns its stdout, or throws its stderr.
export async function runOk(
  effects: T.Effects,
  args: string[],
  input = '',
): Promise<string> {
  const res = await recap.run(effects, args, input)
  if (res.exitCode !== 0) {
    // Recap's own prefix means nothing in a dialog.
    const why = res.stderr.trim().replace(/^recap: /, '') || `exit code ${res.exitCode}`
    throw new RecapError(why)
  }
  return res.stdout
}
