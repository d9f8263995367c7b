import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { T } from '@start9labs/start-sdk'
import { sdk } from '../sdk'
import { configFile, configPath, RecapConfig } from '../fileModels/config.yaml'
import { storage } from '../storage'
import { dataDir, runOk } from '../recap'
import { writeSystemSmtp } from '../fileModels/systemSmtp'
import {
  accountsForm,
  accountsFromForm,
  accountsToForm,
  advancedForm,
  advancedFromForm,
  advancedToForm,
  engineForm,
  engineFromForm,
  engineToForm,
  paymentsForm,
  paymentsFromForm,
  paymentsToForm,
  relayForm,
  relayFromForm,
  relayToForm,
  smtpForm,
  smtpFromForm,
  smtpToForm,
} from './configForms'

// StartOS 0.4 has no Config page: each section of config.yaml has a
// "Configure" action whose form is pre-filled from the file. Saving
// writes a candidate file beside config.yaml, has `recap config check`
// judge it with the Go service's own rules, and only then renames it over
// config.yaml, so a bad value is refused with the key named and the
// working file is never touched.

const candidatePath = 'start9/config.candidate.yaml'

// readConfig returns the current config.yaml, or the defaults when none
// has been written yet.
export async function readConfig(): Promise<RecapConfig> {
  return (
    (await configFile().read().once()) ?? configFile().validate({})
  )
}

// saveConfig checks next with `recap config check` and, when it passes,
// makes it config.yaml. A refusal throws the checker's message.
export async function saveConfig(
  effects: T.Effects,
  next: RecapConfig,
): Promise<void> {
  const file = configFile()
  const text = file.writeData(file.validate(next))
  const candidate = storage.main.subpath(candidatePath)
  await mkdir(storage.main.subpath('start9'), { recursive: true })
  await writeFile(candidate, text, { mode: 0o600 })
  try {
    await runOk(effects, [
      'config',
      'check',
      '--data',
      dataDir,
      '--file',
      `${dataDir}/${candidatePath}`,
    ])
  } catch (err) {
    await rm(candidate, { force: true })
    throw err
  }
  await rename(candidate, storage.main.subpath(configPath))
}

const restartNote =
  'Saved. Recap reads its settings when it starts: restart it if it is running.'

export const configureEngine = sdk.Action.withInput(
  'configure-engine',
  async () => ({
    name: 'Configure Summary Engine',
    description:
      'Choose what writes the recaps: the builtin engine (on your server, no account), an OpenAI-compatible server such as Ollama or llama.cpp, or Google Gemini.',
    warning: null,
    allowedStatuses: 'any',
    group: 'Configure',
    visibility: 'enabled',
  }),
  engineForm,
  async () => engineToForm((await readConfig()).engine),
  async ({ effects, input }) => {
    const cfg = await readConfig()
    await saveConfig(effects, { ...cfg, engine: engineFromForm(input, cfg.engine) })
    return saved('Summary engine saved')
  },
)

export const configureSmtp = sdk.Action.withInput(
  'configure-smtp',
  async () => ({
    name: 'Configure Email (SMTP)',
    description:
      "How Recap sends mail (sign-in links in multi mode): StartOS's System SMTP, your own server, or no mail.",
    warning: null,
    allowedStatuses: 'any',
    group: 'Configure',
    visibility: 'enabled',
  }),
  smtpForm,
  async () => smtpToForm((await readConfig()).smtp),
  async ({ effects, input }) => {
    const cfg = await readConfig()
    if (input.smtp.selection === 'system') {
      // The check needs System SMTP's values (multi mode needs mail);
      // main.ts keeps the file current from then on.
      await writeSystemSmtp(await sdk.getSystemSmtp(effects).once())
    }
    await saveConfig(effects, { ...cfg, smtp: smtpFromForm(input, cfg.smtp) })
    return saved('Email settings saved')
  },
)

export const configureAccounts = sdk.Action.withInput(
  'configure-accounts',
  async () => ({
    name: 'Configure Multi Mode',
    description:
      'The admin, the public address and the credit settings used in multi mode. Saving does not change the mode: use Switch Mode for that, after saving these and the email settings.',
    warning: null,
    allowedStatuses: 'any',
    group: 'Configure',
    visibility: 'enabled',
  }),
  accountsForm,
  async () => accountsToForm((await readConfig()).mode),
  async ({ effects, input }) => {
    const cfg = await readConfig()
    await saveConfig(effects, { ...cfg, mode: accountsFromForm(input, cfg.mode) })
    return saved('Multi mode settings saved')
  },
)

export const configureRelay = sdk.Action.withInput(
  'configure-relay',
  async () => ({
    name: 'Configure Relay',
    description:
      'Connect Recap to a relay, which decides the accounts\' tiers and can write recaps (the Relay engine). Leave the URL empty for no relay.',
    warning: null,
    allowedStatuses: 'any',
    group: 'Configure',
    visibility: 'enabled',
  }),
  relayForm,
  async () => relayToForm((await readConfig()).relay),
  async ({ effects, input }) => {
    const cfg = await readConfig()
    await saveConfig(effects, { ...cfg, relay: relayFromForm(input, cfg.relay) })
    return saved('Relay settings saved')
  },
)

export const configurePayments = sdk.Action.withInput(
  'configure-payments',
  async () => ({
    name: 'Configure Payments',
    description:
      'Multi mode: sell Pro, Max and credit packs by Lightning through your BTCPay Server and by card through Zaprite, and set their prices. Run Check Payments afterwards.',
    warning: null,
    allowedStatuses: 'any',
    group: 'Configure',
    visibility: 'enabled',
  }),
  paymentsForm,
  async () => paymentsToForm((await readConfig()).payments),
  async ({ effects, input }) => {
    const cfg = await readConfig()
    await saveConfig(effects, { ...cfg, payments: paymentsFromForm(input, cfg.payments) })
    return saved('Payment settings saved')
  },
)

export const configureAdvanced = sdk.Action.withInput(
  'configure-advanced',
  async () => ({
    name: 'Configure Advanced Settings',
    description:
      'Limits and other settings most owners never need to change.',
    warning: null,
    allowedStatuses: 'any',
    group: 'Configure',
    visibility: 'enabled',
  }),
  advancedForm,
  async () => advancedToForm((await readConfig()).advanced),
  async ({ effects, input }) => {
    const cfg = await readConfig()
    await saveConfig(effects, {
      ...cfg,
      advanced: advancedFromForm(input, cfg.advanced),
    })
    return saved('Advanced settings saved')
  },
)

function saved(title: string) {
  return { version: '1' as const, title, message: restartNote, result: null }
}
