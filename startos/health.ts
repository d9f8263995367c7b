import { T } from '@start9labs/start-sdk'

// The web interface's ready check: GET /healthz on the loopback address,
// read the way `recap healthcheck` reads it for 0.3.5. "ok" is success;
// "starting", "loading" and "migrating" are shown as loading with their
// message; a closed port is "starting" (the daemon's grace period turns
// a port that stays closed into a failure); anything else is a failure
// with the service's own message.

export const uiPort = 8080
export const healthUrl = `http://127.0.0.1:${uiPort}/healthz`

export type Check = Omit<T.NamedHealthCheckResult, 'name'>

export function readHealth(status: number, body: string): Check {
  let h: { status?: string; message?: string } | null = null
  try {
    h = JSON.parse(body)
  } catch {
    h = null
  }
  if (status === 200 && h?.status === 'ok') {
    return { result: 'success', message: 'Recap is ready. Open it from its interface.' }
  }
  if (h && ['starting', 'loading', 'migrating'].includes(h.status ?? '')) {
    return { result: 'loading', message: oneLine(h.message || `Recap is ${h.status}`) }
  }
  if (h?.message) {
    return { result: 'failure', message: oneLine(h.message) }
  }
  return {
    result: 'failure',
    message: `unexpected health answer: HTTP ${status} ${oneLine(body)}`,
  }
}

export async function checkHealth(url = healthUrl): Promise<Check> {
  let res: Response
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(5000) })
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause
    if (cause?.code === 'ECONNREFUSED') {
      return { result: 'starting', message: 'Recap is starting' }
    }
    if ((err as Error).name === 'TimeoutError') {
      return {
        result: 'failure',
        message: 'Recap did not answer its health check in time; it may be overloaded',
      }
    }
    return { result: 'failure', message: `health check failed: ${(err as Error).message}` }
  }
  return readHealth(res.status, await res.text())
}

function oneLine(s: string): string {
  let t = s.trim().split(/\r?\n/)[0] ?? ''
  if (t.length > 200) t = t.slice(0, 200) + '…'
  return t
}
