import { sdk } from '../sdk'
import {
  advancedShape,
  engineShape,
  paymentsShape,
  planShape,
  priceShape,
  relayShape,
  tiersShape,
  modeShape,
  RecapConfig,
  smtpShape,
} from '../fileModels/config.yaml'

// The forms of the Configure actions and the two mappings of each:
// file section → form (the pre-fill) and form → file section. Defaults
// and ranges are pkg/config's; the Go service has the last word through
// `recap config check`.

const { InputSpec, List, Value, Variants } = sdk

type Mode = RecapConfig['mode']
type Engine = RecapConfig['engine']
type Smtp = RecapConfig['smtp']
type Advanced = RecapConfig['advanced']
type Relay = NonNullable<RecapConfig['relay']>
type Payments = NonNullable<RecapConfig['payments']>

const emailPattern = {
  regex: '^[^\\s,;<>"]+@[^\\s,;<>"@]+$',
  description: 'One email address, such as ada@example.org.',
}
const urlPattern = {
  regex: '^https?://[^\\s/]+(/.*)?$',
  description: 'An http:// or https:// address.',
}

// unknownKeys keeps what a newer Recap wrote into a section that this
// package does not model, so saving a form never drops it.
function unknownKeys(prev: object | undefined, shape: { shape: object }) {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(prev ?? {})) {
    if (!(k in shape.shape)) out[k] = v
  }
  return out
}

// text returns a trimmed non-empty string or undefined.
function text(v: string | null | undefined): string | undefined {
  const t = v?.trim()
  return t ? t : undefined
}

// ── Engine ────────────────────────────────────────────────────────────

export const engineForm = InputSpec.of({
  engine: Value.union({
    name: 'Engine',
    description:
      'The builtin engine needs nothing and runs on your server. The others send transcripts to a language model you choose.',
    default: 'builtin',
    variants: Variants.of({
      builtin: { name: 'Builtin (on this server)', spec: InputSpec.of({}) },
      openai: {
        name: 'OpenAI-compatible server (Ollama, llama.cpp, vLLM, hosted)',
        spec: InputSpec.of({
          'base-url': Value.text({
            name: 'Base URL',
            description:
              'Where the server answers, up to and including /v1, e.g. http://llama.embassy:8080/v1.',
            required: true,
            default: null,
            patterns: [urlPattern],
          }),
          'api-key': Value.text({
            name: 'API Key',
            description: 'Only if the server asks for one.',
            required: false,
            default: null,
            masked: true,
          }),
          model: Value.text({
            name: 'Model',
            description: 'The model name as the server knows it.',
            required: true,
            default: null,
          }),
          'context-size': Value.number({
            name: 'Context Size',
            description: "The model's context window.",
            required: true,
            default: 8192,
            min: 1024,
            max: 10_000_000,
            integer: true,
            units: 'tokens',
          }),
          flavor: Value.select({
            name: 'API Flavor',
            description:
              "Ollama's native API can set the context size per request; every other server speaks the compatible API.",
            default: 'compatible',
            values: { compatible: 'OpenAI-compatible', ollama: 'Ollama native' },
          }),
        }),
      },
      relay: {
        name: 'The relay (set it up with Configure Relay)',
        spec: InputSpec.of({}),
      },
      gemini: {
        name: 'Google Gemini',
        spec: InputSpec.of({
          'api-key': Value.text({
            name: 'API Key',
            required: true,
            default: null,
            masked: true,
          }),
          model: Value.text({
            name: 'Model',
            required: true,
            default: 'gemini-2.5-flash',
          }),
        }),
      },
    }),
  }),
})

export type EngineInput = typeof engineForm._TYPE

export function engineToForm(e: Engine): { engine: any } {
  switch (e.type) {
    case 'openai':
      return {
        engine: {
          selection: 'openai',
          value: {
            'base-url': e['base-url'] ?? null,
            'api-key': e['api-key'] ?? null,
            model: e.model ?? null,
            'context-size': e['context-size'] ?? 8192,
            flavor: e.flavor ?? 'compatible',
          },
        },
      }
    case 'gemini':
      return {
        engine: {
          selection: 'gemini',
          value: { 'api-key': e['api-key'] ?? null, model: e.model ?? 'gemini-2.5-flash' },
        },
      }
    case 'relay':
      return { engine: { selection: 'relay', value: {} } }
    default:
      return { engine: { selection: 'builtin', value: {} } }
  }
}

export function engineFromForm(input: EngineInput, prev?: Engine): Engine {
  const keep = unknownKeys(prev, engineShape)
  const u = input.engine
  switch (u.selection) {
    case 'openai':
      return {
        ...keep,
        type: 'openai',
        'base-url': u.value['base-url'].trim(),
        'api-key': text(u.value['api-key']),
        model: u.value.model.trim(),
        'context-size': u.value['context-size'],
        flavor: u.value.flavor,
      }
    case 'gemini':
      return {
        ...keep,
        type: 'gemini',
        'api-key': u.value['api-key'].trim(),
        model: u.value.model.trim(),
      }
    case 'relay':
      return { ...keep, type: 'relay' }
    default:
      return { ...keep, type: 'builtin' }
  }
}

// ── SMTP ──────────────────────────────────────────────────────────────

export const smtpForm = InputSpec.of({
  smtp: Value.union({
    name: 'Email',
    description:
      "Multi mode signs people in with links sent by email, so it needs one of the first two. System SMTP uses the server StartOS is set up with (System → SMTP) and follows its changes.",
    default: 'disabled',
    variants: Variants.of({
      system: {
        name: 'System SMTP (set in StartOS)',
        spec: InputSpec.of({
          from: Value.text({
            name: 'From Address',
            description:
              "Send as this address instead of System SMTP's own. Leave empty to use that one.",
            required: false,
            default: null,
            patterns: [emailPattern],
          }),
        }),
      },
      custom: {
        name: 'My own SMTP server',
        spec: InputSpec.of({
          host: Value.text({
            name: 'Host',
            required: true,
            default: null,
            placeholder: 'smtp.example.org',
          }),
          port: Value.number({
            name: 'Port',
            required: true,
            default: 587,
            min: 1,
            max: 65535,
            integer: true,
          }),
          security: Value.select({
            name: 'Connection Security',
            default: 'starttls',
            values: {
              starttls: 'STARTTLS (usually port 587)',
              tls: 'TLS (usually port 465)',
              none: 'None (only without a username)',
            },
          }),
          username: Value.text({
            name: 'Username',
            required: false,
            default: null,
          }),
          password: Value.text({
            name: 'Password',
            required: false,
            default: null,
            masked: true,
          }),
          from: Value.text({
            name: 'From Address',
            required: true,
            default: null,
            patterns: [emailPattern],
          }),
        }),
      },
      disabled: { name: 'No email', spec: InputSpec.of({}) },
    }),
  }),
})

export type SmtpInput = typeof smtpForm._TYPE

export function smtpToForm(s: Smtp): { smtp: any } {
  switch (s.type) {
    case 'system':
      return { smtp: { selection: 'system', value: { from: s.from ?? null } } }
    case 'custom':
      return {
        smtp: {
          selection: 'custom',
          value: {
            host: s.host ?? null,
            port: s.port ?? 587,
            security: s.security ?? 'starttls',
            username: s.username ?? null,
            password: s.password ?? null,
            from: s.from ?? null,
          },
        },
      }
    default:
      return { smtp: { selection: 'disabled', value: {} } }
  }
}

export function smtpFromForm(input: SmtpInput, prev?: Smtp): Smtp {
  const keep = unknownKeys(prev, smtpShape)
  const u = input.smtp
  switch (u.selection) {
    case 'system':
      return { ...keep, type: 'system', from: text(u.value.from) }
    case 'custom':
      return {
        ...keep,
        type: 'custom',
        host: u.value.host.trim(),
        port: u.value.port,
        security: u.value.security,
        username: text(u.value.username),
        password: u.value.password ? u.value.password : undefined,
        from: u.value.from.trim(),
      }
    default:
      return { ...keep, type: 'disabled' }
  }
}

// ── Multi mode (mode.*, except mode.type) ────────────────────────────

// The plans' defaults, as pkg/config's DefaultPlan.
const planDefaults = {
  core: { credits: 20, 'max-hours': 2, llm: false, 'max-waiting': 3 },
  pro: { credits: 200, 'max-hours': 6, llm: true, 'max-waiting': 10 },
  max: { credits: 1000, 'max-hours': 6, llm: true, 'max-waiting': 20 },
} as const

type Tier = keyof typeof planDefaults

function planForm(tier: Tier, title: string) {
  const d = planDefaults[tier]
  return Value.object(
    { name: title, description: `What a ${title.toLowerCase()} account gets.` },
    InputSpec.of({
      credits: Value.number({
        name: 'Credits per Period',
        description:
          tier === 'core'
            ? 'The allowance refilled each period (for core, this is the Credits per Period above unless set here).'
            : 'The allowance refilled each period.',
        required: true,
        default: d.credits,
        min: 0,
        max: 1_000_000,
        integer: true,
      }),
      'max-hours': Value.number({
        name: 'Longest Recording',
        required: true,
        default: d['max-hours'],
        min: 1,
        max: 100,
        integer: true,
        units: 'hours',
      }),
      llm: Value.toggle({
        name: 'May Use the LLM Engine',
        description: 'Off: recaps are made by the builtin engine.',
        default: d.llm,
      }),
      'max-waiting': Value.number({
        name: 'Recaps Waiting at Once',
        required: true,
        default: d['max-waiting'],
        min: 1,
        max: 64,
        integer: true,
      }),
    }),
  )
}

export const accountsForm = InputSpec.of({
  'admin-email': Value.text({
    name: 'Admin Email',
    description:
      'Your own address: the admin account, signed in by email like everyone else.',
    required: false,
    default: null,
    patterns: [emailPattern],
  }),
  'public-url': Value.text({
    name: 'Public URL',
    description:
      'The address people open Recap at, used in the links of sign-in mail (e.g. https://recap.example.org). Required in multi mode.',
    required: false,
    default: null,
    patterns: [urlPattern],
  }),
  'allow-signups': Value.toggle({
    name: 'Allow Sign-ups',
    description: 'Let anyone with a working email address make an account.',
    default: false,
  }),
  'trial-credits': Value.number({
    name: 'Trial Credits',
    description: 'Recaps a visitor may make before signing up; 0 turns trials off.',
    required: true,
    default: 3,
    min: 0,
    max: 1_000_000,
    integer: true,
  }),
  'trials-per-ip-per-day': Value.number({
    name: 'Trials per Address per Day',
    description: 'New trials one IPv4 address (or IPv6 /64) may start in 24 hours.',
    required: true,
    default: 3,
    min: 0,
    max: 1_000_000,
    integer: true,
  }),
  'default-credits': Value.number({
    name: 'Credits per Period',
    description: 'The allowance each account gets every period.',
    required: true,
    default: 20,
    min: 0,
    max: 1_000_000,
    integer: true,
  }),
  'replenish-days': Value.number({
    name: 'Period Length',
    description: 'Days between allowance refills.',
    required: true,
    default: 30,
    min: 1,
    max: 365,
    integer: true,
    units: 'days',
  }),
  'credits-per-hour': Value.number({
    name: 'Credits per Hour',
    description: 'What a started hour of transcript costs.',
    required: true,
    default: 1,
    min: 1,
    max: 1000,
    integer: true,
  }),
  tiers: Value.object(
    { name: 'Plans', description: 'The core, pro and max plans.' },
    InputSpec.of({
      core: planForm('core', 'Core'),
      pro: planForm('pro', 'Pro'),
      max: planForm('max', 'Max'),
    }),
  ),
})

export type AccountsInput = typeof accountsForm._TYPE

export function accountsToForm(m: Mode) {
  return {
    'admin-email': m['admin-email'] ?? null,
    'public-url': m['public-url'] ?? null,
    'allow-signups': m['allow-signups'] ?? false,
    'trial-credits': m['trial-credits'] ?? 3,
    'trials-per-ip-per-day': m['trials-per-ip-per-day'] ?? 3,
    'default-credits': m['default-credits'] ?? 20,
    'replenish-days': m['replenish-days'] ?? 30,
    'credits-per-hour': m['credits-per-hour'] ?? 1,
    tiers: {
      core: planToForm('core', m.tiers?.core, m['default-credits']),
      pro: planToForm('pro', m.tiers?.pro),
      max: planToForm('max', m.tiers?.max),
    },
  }
}

type Plan = NonNullable<NonNullable<Mode['tiers']>['core']>

function planToForm(tier: Tier, p: Plan | undefined, coreCredits?: number) {
  const d = planDefaults[tier]
  return {
    credits: p?.credits ?? coreCredits ?? d.credits,
    'max-hours': p?.['max-hours'] ?? d['max-hours'],
    llm: p?.llm ?? d.llm,
    'max-waiting': p?.['max-waiting'] ?? d['max-waiting'],
  }
}

export function accountsFromForm(input: AccountsInput, prev: Mode): Mode {
  return {
    ...unknownKeys(prev, modeShape),
    type: prev.type,
    'admin-email': text(input['admin-email']),
    'public-url': text(input['public-url']),
    'allow-signups': input['allow-signups'],
    'trial-credits': input['trial-credits'],
    'trials-per-ip-per-day': input['trials-per-ip-per-day'],
    'default-credits': input['default-credits'],
    'replenish-days': input['replenish-days'],
    'credits-per-hour': input['credits-per-hour'],
    tiers: {
      ...unknownKeys(prev.tiers, tiersShape),
      core: { ...unknownKeys(prev.tiers?.core, planShape), ...input.tiers.core },
      pro: { ...unknownKeys(prev.tiers?.pro, planShape), ...input.tiers.pro },
      max: { ...unknownKeys(prev.tiers?.max, planShape), ...input.tiers.max },
    },
  }
}

// ── Relay ─────────────────────────────────────────────────────────────

export const relayForm = InputSpec.of({
  url: Value.text({
    name: 'Relay URL',
    description:
      "The relay's address, e.g. https://relay.example.org. Empty: no relay; tiers are decided on this server.",
    required: false,
    default: null,
    patterns: [urlPattern],
  }),
  license: Value.text({
    name: 'License',
    description: "This server's key at the relay, from the relay's operator.",
    required: false,
    default: null,
    masked: true,
  }),
})

export type RelayInput = typeof relayForm._TYPE

export function relayToForm(r: Relay | undefined) {
  return { url: r?.url ?? null, license: r?.license ?? null }
}

export function relayFromForm(input: RelayInput, prev: Relay | undefined): Relay {
  return {
    ...unknownKeys(prev, relayShape),
    url: text(input.url),
    license: text(input.license),
  }
}

// ── Payments ──────────────────────────────────────────────────────────

function price(name: string, units: string, description: string) {
  return Value.number({
    name,
    description,
    required: true,
    default: 0,
    min: 0,
    max: 100_000_000,
    integer: true,
    units,
  })
}

function planPrice(plan: string) {
  return InputSpec.of({
    sats: price('By Lightning', 'sats', `30 days of ${plan} in sats; 0: not sold by Lightning.`),
    fiat: price(
      'By Card',
      'cents',
      `30 days of ${plan} in the smallest unit of the card currency (900 is 9.00); 0: not sold by card.`,
    ),
  })
}

export const paymentsForm = InputSpec.of({
  btcpay: Value.object(
    {
      name: 'BTCPay Server (Lightning)',
      description:
        'The BTCPay store that issues the Lightning invoices. Leave the address empty to turn Lightning off.',
    },
    InputSpec.of({
      url: Value.text({
        name: 'BTCPay Address',
        description: "Where Recap reaches BTCPay, such as BTCPay's internal address on this server.",
        required: false,
        default: null,
        patterns: [urlPattern],
      }),
      'api-key': Value.text({
        name: 'API Key',
        description: 'A Greenfield API key with "View invoices" and "Create invoice" for the store.',
        required: false,
        default: null,
        masked: true,
      }),
      'store-id': Value.text({
        name: 'Store ID',
        description: 'Store Settings → General → Store ID.',
        required: false,
        default: null,
      }),
      'webhook-secret': Value.text({
        name: 'Webhook Secret',
        description: "The secret of the store's webhook to https://YOUR-RECAP/webhooks/btcpay.",
        required: false,
        default: null,
        masked: true,
      }),
    }),
  ),
  zaprite: Value.object(
    { name: 'Zaprite (card)', description: 'Leave the API key empty to turn card payments off.' },
    InputSpec.of({
      url: Value.text({
        name: 'Zaprite API Address',
        description: "Zaprite's API. Change it only for a test server.",
        required: true,
        default: 'https://api.zaprite.com',
        patterns: [urlPattern],
      }),
      'api-key': Value.text({
        name: 'API Key',
        description: 'An API key of your Zaprite organisation.',
        required: false,
        default: null,
        masked: true,
      }),
    }),
  ),
  currency: Value.text({
    name: 'Card Currency',
    description: 'The currency of the card prices, a three-letter code.',
    required: true,
    default: 'USD',
    patterns: [{ regex: '^[A-Z]{3}$', description: 'A code such as USD or EUR.' }],
  }),
  pro: Value.object({ name: 'Pro Price (30 days)' }, planPrice('Pro')),
  max: Value.object({ name: 'Max Price (30 days)' }, planPrice('Max')),
  packs: Value.list(
    List.obj(
      {
        name: 'Credit Packs',
        description: 'Packs of credits that never expire, bought on top of any plan.',
        default: [],
        maxLength: 20,
      },
      {
        spec: InputSpec.of({
          id: Value.text({
            name: 'ID',
            description: 'A short name, like credits-100.',
            required: true,
            default: null,
            patterns: [{ regex: '^[a-z0-9][a-z0-9-]{0,31}$', description: 'Lower-case letters, digits and -, at most 32.' }],
          }),
          credits: Value.number({
            name: 'Credits',
            required: true,
            default: 100,
            min: 1,
            max: 1_000_000,
            integer: true,
            units: 'credits',
          }),
          sats: price('By Lightning', 'sats', '0: not sold by Lightning.'),
          fiat: price('By Card', 'cents', 'In the smallest unit of the card currency; 0: not sold by card.'),
        }),
        displayAs: '{{id}}: {{credits}} credits',
        uniqueBy: 'id',
      },
    ),
  ),
})

export type PaymentsInput = typeof paymentsForm._TYPE

export function paymentsToForm(p: Payments | undefined) {
  const plan = (x: { sats?: number; fiat?: number } | undefined) => ({ sats: x?.sats ?? 0, fiat: x?.fiat ?? 0 })
  return {
    btcpay: {
      url: p?.btcpay?.url ?? null,
      'api-key': p?.btcpay?.['api-key'] ?? null,
      'store-id': p?.btcpay?.['store-id'] ?? null,
      'webhook-secret': p?.btcpay?.['webhook-secret'] ?? null,
    },
    zaprite: {
      url: p?.zaprite?.url ?? 'https://api.zaprite.com',
      'api-key': p?.zaprite?.['api-key'] ?? null,
    },
    currency: p?.currency ?? 'USD',
    pro: plan(p?.pro),
    max: plan(p?.max),
    packs: (p?.packs ?? []).map((k) => ({ id: k.id, credits: k.credits, sats: k.sats ?? 0, fiat: k.fiat ?? 0 })),
  }
}

export function paymentsFromForm(input: PaymentsInput, prev: Payments | undefined): Payments {
  return {
    ...unknownKeys(prev, paymentsShape),
    btcpay: {
      ...unknownKeys(prev?.btcpay, { shape: paymentsShape.shape.btcpay.unwrap().shape }),
      url: text(input.btcpay.url),
      'api-key': text(input.btcpay['api-key']),
      'store-id': text(input.btcpay['store-id']),
      'webhook-secret': text(input.btcpay['webhook-secret']),
    },
    zaprite: {
      ...unknownKeys(prev?.zaprite, { shape: paymentsShape.shape.zaprite.unwrap().shape }),
      url: input.zaprite.url.trim(),
      'api-key': text(input.zaprite['api-key']),
    },
    currency: input.currency.trim(),
    pro: { ...unknownKeys(prev?.pro, priceShape), ...input.pro },
    max: { ...unknownKeys(prev?.max, priceShape), ...input.max },
    packs: input.packs.map((k) => ({ ...k, id: k.id.trim() })),
  }
}

// ── Advanced ──────────────────────────────────────────────────────────

export const advancedForm = InputSpec.of({
  'youtube-base-url': Value.text({
    name: 'YouTube Address',
    description: 'Where Recap fetches YouTube pages and captions.',
    required: true,
    default: 'https://www.youtube.com',
    patterns: [urlPattern],
  }),
  'yt-dlp-path': Value.text({
    name: 'yt-dlp Path',
    description: 'A yt-dlp program to fall back on for YouTube captions; empty: none.',
    required: false,
    default: null,
  }),
  'max-upload-mb': Value.number({
    name: 'Largest Upload',
    required: true,
    default: 20,
    min: 1,
    max: 1024,
    integer: true,
    units: 'MB',
  }),
  'max-duration-hours': Value.number({
    name: 'Longest Recording',
    required: true,
    default: 6,
    min: 1,
    max: 48,
    integer: true,
    units: 'hours',
  }),
  'max-words': Value.number({
    name: 'Most Words in a Transcript',
    description: 'Longer transcripts are refused before any work is done.',
    required: true,
    default: 250000,
    min: 1000,
    max: 2000000,
    integer: true,
    units: 'words',
  }),
  'max-words-per-hour': Value.number({
    name: 'Most Words per Hour',
    description:
      'A transcript with more words per hour of its length is refused as not real speech (a transcript shorter than an hour may have an hour’s worth).',
    required: true,
    default: 30000,
    min: 1000,
    max: 200000,
    integer: true,
    units: 'words',
  }),
  'job-concurrency': Value.number({
    name: 'Recaps at Once',
    required: true,
    default: 2,
    min: 1,
    max: 16,
    integer: true,
  }),
  'follow-interval-hours': Value.number({
    name: 'Hours between Checks of a Followed Show',
    description:
      'How often each followed podcast feed or YouTube channel is read for new episodes (spread a little so that many follows are not read at once).',
    required: true,
    default: 3,
    min: 1,
    max: 168,
    integer: true,
    units: 'hours',
  }),
  'max-follows': Value.number({
    name: 'Most Follows per Person',
    description: 'How many podcasts, channels and playlists one person may follow.',
    required: true,
    default: 50,
    min: 1,
    max: 1000,
    integer: true,
  }),
  'max-follow-recaps-per-day': Value.number({
    name: 'Most Automatic Recaps a Day',
    description:
      'How many new episodes of followed shows are recapped for one person in 24 hours; the rest wait for the next day.',
    required: true,
    default: 20,
    min: 1,
    max: 1000,
    integer: true,
  }),
  'follow-digest': Value.select({
    name: 'Digest Mail of Followed Shows',
    description:
      'Multi mode: how often someone who has not chosen for themselves gets a mail listing the new recaps of the shows they follow. Each person can change it on their Following page, and every mail has a link to stop it.',
    default: 'off',
    values: { off: 'Off', daily: 'Daily', weekly: 'Weekly' },
  }),
  'log-level': Value.select({
    name: 'Log Level',
    default: 'info',
    values: { debug: 'Debug', info: 'Info', warn: 'Warnings', error: 'Errors' },
  }),
  'trusted-proxies': Value.list(
    List.text(
      {
        name: 'Trusted Proxies',
        description:
          'Networks of the reverse proxies in front of Recap whose X-Forwarded-For or X-Real-IP header names the real visitor (for example 10.0.3.0/24). Leave it empty unless such a proxy adds that header: a header from any other address is ignored, so nobody can pick their own address to dodge the sign-in limits.',
        default: [],
        maxLength: 16,
      },
      { placeholder: '10.0.3.0/24' },
    ),
  ),
})

export type AdvancedInput = typeof advancedForm._TYPE

export function advancedToForm(a: Advanced) {
  return {
    'youtube-base-url': a['youtube-base-url'] ?? 'https://www.youtube.com',
    'yt-dlp-path': a['yt-dlp-path'] ?? null,
    'max-upload-mb': a['max-upload-mb'] ?? 20,
    'max-duration-hours': a['max-duration-hours'] ?? 6,
    'max-words': a['max-words'] ?? 250000,
    'max-words-per-hour': a['max-words-per-hour'] ?? 30000,
    'job-concurrency': a['job-concurrency'] ?? 2,
    'follow-interval-hours': a['follow-interval-hours'] ?? 3,
    'max-follows': a['max-follows'] ?? 50,
    'max-follow-recaps-per-day': a['max-follow-recaps-per-day'] ?? 20,
    'follow-digest': a['follow-digest'] ?? 'off',
    'log-level': a['log-level'] ?? 'info',
    'trusted-proxies': a['trusted-proxies'] ?? [],
  }
}

export function advancedFromForm(input: AdvancedInput, prev: Advanced): Advanced {
  return {
    ...unknownKeys(prev, advancedShape),
    'youtube-base-url': input['youtube-base-url'].trim(),
    'yt-dlp-path': text(input['yt-dlp-path']),
    'max-upload-mb': input['max-upload-mb'],
    'max-duration-hours': input['max-duration-hours'],
    'max-words': input['max-words'],
    'max-words-per-hour': input['max-words-per-hour'],
    'job-concurrency': input['job-concurrency'],
    'follow-interval-hours': input['follow-interval-hours'],
    'max-follows': input['max-follows'],
    'max-follow-recaps-per-day': input['max-follow-recaps-per-day'],
    'follow-digest': input['follow-digest'],
    'log-level': input['log-level'],
    'trusted-proxies': input['trusted-proxies'].map((p) => p.trim()).filter((p) => p !== ''),
  }
}
