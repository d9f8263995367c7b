import { T } from '@start9labs/start-sdk'
import { sdk } from '../sdk'
import { writeSystemSmtp } from '../fileModels/systemSmtp'
import { dataDir, runOk } from '../recap'

// Updating from the earlier Recap (0.2.x, a Node.js package): `recap
// startos-adopt` maps its settings onto config.yaml (mail through System
// SMTP, as it was) and keeps a config.yaml that already loads, such as
// one the 0.3.5 package wrote. The library and the database need nothing
// here: the service reads them as they are and brings the database up to
// date when it starts. The owner gets a notification saying what was
// taken over and what was left at its default.

export type AdoptReport = {
  mode: string
  settings?: string
  mapped: Record<string, unknown>
  unknown: string[]
  problems: string[]
  kept_config: boolean
  wrote: boolean
}

export async function adoptEarlierRecap(effects: T.Effects): Promise<AdoptReport> {
  // The check of the new config.yaml needs System SMTP's values (multi
  // mode needs mail); main.ts keeps the file current afterwards.
  await writeSystemSmtp(await sdk.getSystemSmtp(effects).once())
  const rep = JSON.parse(
    await runOk(effects, ['startos-adopt', '--data', dataDir]),
  ) as AdoptReport
  await sdk.notification.create(effects, {
    level: rep.problems.length > 0 ? 'warning' : 'success',
    title: 'Recap took over your library and settings',
    message: adoptSummary(rep),
    data: adoptDetails(rep),
  })
  return rep
}

export function adoptSummary(rep: AdoptReport): string {
  if (rep.kept_config) return `Your settings were kept as they were (${rep.mode} mode).`
  const n = Object.keys(rep.mapped).length
  let s = `${rep.mode === 'multi' ? 'Multi' : 'Single'} mode; ${n} settings taken over, mail through System SMTP.`
  if (rep.unknown.length > 0) s += ` ${rep.unknown.length} earlier settings are not used; see the details.`
  if (rep.problems.length > 0) s += ' Some need your attention; see the details.'
  return s
}

export function adoptDetails(rep: AdoptReport): string {
  const lines = ['## Taken over', '']
  for (const [k, v] of Object.entries(rep.mapped).sort()) lines.push(`- \`${k}\`: ${JSON.stringify(v)}`)
  lines.push('- `smtp.type`: "system" (StartOS System → SMTP)', '')
  if (rep.unknown.length > 0) {
    lines.push('## Not used (left at Recap\'s defaults)', '')
    for (const k of rep.unknown) lines.push(`- \`${k}\``)
    lines.push('')
  }
  if (rep.problems.length > 0) {
    lines.push('## Needs your attention', '')
    for (const p of rep.problems) lines.push(`- ${p}`)
    lines.push('')
  }
  lines.push('Change any of it with the Configure actions.')
  return lines.join('\n')
}
