import { FileHelper, z } from '@start9labs/start-sdk'
import { storage } from '../storage'

// The typed model of DATA/start9/config.yaml, the file the Go service
// reads at start (pkg/config). Keys are kebab-case and unions carry their
// variant in "type", exactly as pkg/config decodes them; a test compares
// these keys with the Go side's. Objects are loose so that a key this
// model does not know (written by a newer Recap) survives a write.

// A plan of mode.tiers: what an account of that tier gets.
export const planShape = z.looseObject({
  credits: z.number().int().optional(),
  'max-hours': z.number().int().optional(),
  llm: z.boolean().optional(),
  'max-waiting': z.number().int().optional(),
})

export const tiersShape = z.looseObject({
  core: planShape.optional(),
  pro: planShape.optional(),
  max: planShape.optional(),
})

export const modeShape = z.looseObject({
  type: z.enum(['single', 'multi']).catch('single'),
  'admin-email': z.string().optional(),
  'public-url': z.string().optional(),
  'allow-signups': z.boolean().optional(),
  'trial-credits': z.number().int().optional(),
  'trials-per-ip-per-day': z.number().int().optional(),
  'default-credits': z.number().int().optional(),
  'replenish-days': z.number().int().optional(),
  'credits-per-hour': z.number().int().optional(),
  tiers: tiersShape.optional(),
})

export const engineShape = z.looseObject({
  type: z.enum(['builtin', 'openai', 'gemini', 'relay']).catch('builtin'),
  'base-url': z.string().optional(),
  'api-key': z.string().optional(),
  model: z.string().optional(),
  'context-size': z.number().int().optional(),
  flavor: z.enum(['compatible', 'ollama']).optional(),
})

// smtp.type "system" means StartOS's System SMTP: the package writes its
// values to DATA/start9/system-smtp.yaml and "from" here, when set,
// overrides the sender address.
export const smtpShape = z.looseObject({
  type: z.enum(['disabled', 'custom', 'system']).catch('disabled'),
  host: z.string().optional(),
  port: z.number().int().optional(),
  security: z.enum(['starttls', 'tls', 'none']).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  from: z.string().optional(),
})

// The relay: where tiers are decided and the relay engine recaps. No url
// means no relay.
export const relayShape = z.looseObject({
  url: z.string().optional(),
  license: z.string().optional(),
})

// Payments (multi mode): BTCPay for Lightning, Zaprite for card, the
// prices of 30 days of Pro and Max (sats, and the card currency's
// smallest unit) and the credit packs.
export const priceShape = z.looseObject({
  sats: z.number().int().optional(),
  fiat: z.number().int().optional(),
})

export const packShape = z.looseObject({
  id: z.string(),
  credits: z.number().int(),
  sats: z.number().int().optional(),
  fiat: z.number().int().optional(),
})

export const paymentsShape = z.looseObject({
  btcpay: z
    .looseObject({
      url: z.string().optional(),
      'api-key': z.string().optional(),
      'store-id': z.string().optional(),
      'webhook-secret': z.string().optional(),
    })
    .optional(),
  zaprite: z
    .looseObject({
      url: z.string().optional(),
      'api-key': z.string().optional(),
    })
    .optional(),
  currency: z.string().optional(),
  pro: priceShape.optional(),
  max: priceShape.optional(),
  packs: z.array(packShape).optional(),
})

export const advancedShape = z.looseObject({
  'youtube-base-url': z.string().optional(),
  'yt-dlp-path': z.string().optional(),
  'max-upload-mb': z.number().int().optional(),
  'max-duration-hours': z.number().int().optional(),
  'max-words': z.number().int().optional(),
  'max-words-per-hour': z.number().int().optional(),
  'job-concurrency': z.number().int().optional(),
  'follow-interval-hours': z.number().int().optional(),
  'max-follows': z.number().int().optional(),
  'max-follow-recaps-per-day': z.number().int().optional(),
  'follow-digest': z.enum(['off', 'daily', 'weekly']).optional(),
  'log-level': z.enum(['debug', 'info', 'warn', 'error']).optional(),
  'trusted-proxies': z.array(z.string()).optional(),
})

export const configShape = z.looseObject({
  // Filled in by StartOS 0.3.5's config pointers; 0.4 leaves them out.
  'tor-address': z.string().optional(),
  'lan-address': z.string().optional(),
  mode: modeShape.catch({ type: 'single' }),
  engine: engineShape.catch({ type: 'builtin' }),
  smtp: smtpShape.catch({ type: 'disabled' }),
  relay: relayShape.optional(),
  payments: paymentsShape.optional(),
  advanced: advancedShape.catch({}),
})

export type RecapConfig = z.infer<typeof configShape>

// The sections and their shapes, for code that walks the model.
export const sections = {
  mode: modeShape,
  engine: engineShape,
  smtp: smtpShape,
  relay: relayShape,
  payments: paymentsShape,
  advanced: advancedShape,
} as const

export const configPath = 'start9/config.yaml'

// configFile is the config file in the main volume (see storage.ts).
export const configFile = () =>
  FileHelper.yaml({ base: storage.main, subpath: configPath }, configShape)
