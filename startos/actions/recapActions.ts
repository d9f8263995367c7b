import { sdk } from '../sdk'
import { dataDir, runOk } from '../recap'
import { Display, parseResult, toResult } from './results'

// The administration actions of manifest.yaml (the 0.3.5 package), as
// 0.4 actions running the same `recap action ID` commands in a fresh
// container with the main volume at /data. Input is the form's values as
// JSON on stdin, the same keys as the 0.3.5 input specs; a test holds
// this list and manifest.yaml together.

const { InputSpec, Value } = sdk

type Meta = {
  name: string
  description: string
  warning: string | null
  allowedStatuses: 'any' | 'only-running' | 'only-stopped'
  display?: Display
}

function meta(m: Meta) {
  return async () => ({
    name: m.name,
    description: m.description,
    warning: m.warning,
    allowedStatuses: m.allowedStatuses,
    group: null,
    visibility: 'enabled' as const,
  })
}

// run runs `recap action ID` with input and shows its result.
async function run(
  effects: Parameters<typeof runOk>[0],
  id: string,
  m: Meta,
  input: object,
) {
  const out = await runOk(
    effects,
    ['action', id, '--data', dataDir],
    JSON.stringify(input),
  )
  return toResult(m.name, parseResult(out), m.display)
}

function withoutInput<Id extends string>(id: Id, m: Meta) {
  return sdk.Action.withoutInput(id, meta(m), async ({ effects }) =>
    run(effects, id, m, {}),
  )
}

const resetOwnerPassword: Meta = {
  name: 'Reset Owner Password',
  description:
    'Make a new owner password, show it once, and sign every browser out. Use it if you forgot your password or think someone else knows it.',
  warning:
    'Every browser signed in to Recap is signed out, and your current password stops working.',
  allowedStatuses: 'any',
  display: { masked: true },
}

const createBackup: Meta = {
  name: 'Create Backup',
  description:
    "Save a snapshot of your library and settings in Recap's backups folder, keeping the newest few. Works while Recap runs. Restore one with Restore Backup.",
  warning: null,
  allowedStatuses: 'any',
}

const restoreBackup: Meta = {
  name: 'Restore Backup',
  description:
    'Replace your library and settings with a snapshot from Create Backup. The snapshot is checked first, and your current data is kept as a snapshot ending in -before-restore.',
  warning: "Your current library and settings are replaced by the snapshot's.",
  allowedStatuses: 'only-stopped',
}

const libraryStats: Meta = {
  name: 'Library Stats',
  description:
    'Count your recaps and the words they summarize, by source, and show how much disk the library and its snapshots use.',
  warning: null,
  allowedStatuses: 'any',
}

const checkFollows: Meta = {
  name: 'Check Follows Now',
  description:
    'Read the feeds of every followed podcast, YouTube channel and playlist now instead of at their next check, and recap their new episodes. Paused follows are left alone; broken ones are tried again.',
  warning: null,
  allowedStatuses: 'any',
}

const switchMode: Meta = {
  name: 'Switch Mode',
  description:
    'Switch between single mode (just you) and multi mode (accounts for others, signed in by email), moving your library along. For multi mode, first save the admin email (Configure Multi Mode) and email settings (Configure Email). Going back to single mode keeps the other accounts and their libraries for a later switch. Run it while Recap is stopped, then start Recap.',
  warning:
    'Make a backup first (Create Backup, or a StartOS backup): the switch moves every recap file. Everyone signed in is signed out.',
  allowedStatuses: 'only-stopped',
}

const adminLoginLink: Meta = {
  name: 'Admin Login Link',
  description:
    'Multi mode: make a one-time link that signs you in as the admin, for when sign-in mail does not arrive. It works once, within 15 minutes. In single mode it only reminds you to use the owner password.',
  warning: null,
  allowedStatuses: 'any',
  display: { masked: true, qr: true },
}

const revokeSessions: Meta = {
  name: 'Revoke Sessions',
  description:
    'Multi mode: sign one account out of every browser. They can sign in again by email unless you disable the account on the admin page.',
  warning: 'Every browser signed in to this account is signed out.',
  allowedStatuses: 'any',
}

const listUsers: Meta = {
  name: 'List Users',
  description:
    'Multi mode: list the accounts with their status, recaps, sessions and last sign-in.',
  warning: null,
  allowedStatuses: 'any',
}

const duplicateAccounts: Meta = {
  name: 'Duplicate Accounts',
  description:
    'Multi mode: list the accounts that share an email address. The earlier Recap kept addresses as they were typed, so one person may have several accounts; each address signs in to the one with the most recaps, and you merge the others into it on the admin page.',
  warning: null,
  allowedStatuses: 'any',
}

const paymentsCheck: Meta = {
  name: 'Check Payments',
  description:
    "Multi mode: test the payments settings against your BTCPay Server and Zaprite. BTCPay's API key must reach the store with the permissions to create and view invoices; Zaprite's key must read your orders. Says precisely what is wrong.",
  warning: null,
  allowedStatuses: 'any',
}

const reconcilePayments: Meta = {
  name: 'Reconcile Payments',
  description:
    'Multi mode: ask BTCPay and Zaprite again about every unpaid order of the last 72 hours and apply the ones that are paid. Recap does this every minute while it runs; use it after fixing the webhook or while Recap is stopped.',
  warning: null,
  allowedStatuses: 'any',
}

const inviteUser: Meta = {
  name: 'Invite User',
  description:
    'Multi mode: let someone in while sign-ups are closed. Recap mails them a welcome with a sign-in link that works for 7 days; their account is made when they first sign in. If the mail cannot be sent, the result shows the link for you to pass on. Inviting again sends a new link.',
  warning: null,
  allowedStatuses: 'any',
  display: { masked: true, qr: true },
}

const removeUser: Meta = {
  name: 'Remove User',
  description:
    'Multi mode: delete an account with its recaps, sessions, sign-in links and credits, for good. Give the number of recaps that go with it as confirmation (List Users shows it; a wrong number removes nothing and the result says the right one). Admin accounts are not removed this way.',
  warning: 'The account and its recaps are deleted for good.',
  allowedStatuses: 'any',
}

const grantCredits: Meta = {
  name: 'Grant Credits',
  description:
    "Multi mode: give an account credits that do not expire. They are spent after the account's period allowance, and the account's credit history on its Account page shows the grant with your note.",
  warning: null,
  allowedStatuses: 'any',
}

const setTier: Meta = {
  name: 'Set Tier',
  description:
    'Multi mode: move an account to the core, pro or max plan. A plan with a larger allowance starts a new period with that allowance at once. With a number of days, the plan ends after them and the account goes back to core.',
  warning: null,
  allowedStatuses: 'any',
}

const accountEmail = () =>
  Value.text({
    name: 'Email',
    description: 'The email address of the account.',
    required: true,
    default: null,
    patterns: [
      {
        regex: '^[^\\s,;<>"]+@[^\\s,;<>"@]+$',
        description: 'One email address, such as ada@example.org.',
      },
    ],
  })

const emailInput = () =>
  InputSpec.of({
    email: Value.text({
      name: 'Email',
      description: 'The email address to invite.',
      required: true,
      default: null,
      patterns: [
        {
          regex: '^[^\\s,;<>"]+@[^\\s,;<>"@]+$',
          description: 'One email address, such as ada@example.org.',
        },
      ],
    }),
  })

export const recapActions = {
  'reset-owner-password': withoutInput('reset-owner-password', resetOwnerPassword),
  'payments-check': withoutInput('payments-check', paymentsCheck),
  'reconcile-payments': withoutInput('reconcile-payments', reconcilePayments),
  'create-backup': sdk.Action.withInput(
    'create-backup',
    meta(createBackup),
    InputSpec.of({
      keep: Value.number({
        name: 'Snapshots to Keep',
        description: 'How many snapshots to keep; older ones are deleted.',
        required: true,
        default: 5,
        min: 1,
        max: 100,
        integer: true,
      }),
    }),
    async () => null,
    async ({ effects, input }) =>
      run(effects, 'create-backup', createBackup, { keep: input.keep }),
  ),
  'restore-backup': sdk.Action.withInput(
    'restore-backup',
    meta(restoreBackup),
    InputSpec.of({
      snapshot: Value.text({
        name: 'Snapshot',
        description:
          "The snapshot's name, as Create Backup showed it (recap-YYYYMMDDTHHMMSSZ.tar.gz), or latest for the newest one.",
        required: true,
        default: 'latest',
        patterns: [
          {
            regex:
              '^(latest|recap-[0-9]{8}T[0-9]{6}Z(-before-restore)?(-[0-9]+)?\\.tar\\.gz)$',
            description:
              'latest, or a snapshot name such as recap-20260101T120000Z.tar.gz.',
          },
        ],
      }),
    }),
    async () => null,
    async ({ effects, input }) =>
      run(effects, 'restore-backup', restoreBackup, { snapshot: input.snapshot }),
  ),
  'library-stats': withoutInput('library-stats', libraryStats),
  'check-follows': withoutInput('check-follows', checkFollows),
  'switch-mode': sdk.Action.withInput(
    'switch-mode',
    meta(switchMode),
    InputSpec.of({
      mode: Value.select({
        name: 'Mode',
        description: 'The mode to switch to.',
        default: 'single',
        values: {
          single: 'Single (just you)',
          multi: 'Multi (accounts for others)',
        },
      }),
    }),
    async () => null,
    async ({ effects, input }) =>
      run(effects, 'switch-mode', switchMode, { mode: input.mode }),
  ),
  'admin-login-link': withoutInput('admin-login-link', adminLoginLink),
  'revoke-sessions': sdk.Action.withInput(
    'revoke-sessions',
    meta(revokeSessions),
    InputSpec.of({
      email: Value.text({
        name: 'Email',
        description: 'The email address of the account to sign out.',
        required: true,
        default: null,
        patterns: [
          {
            regex: '^[^\\s,;<>"]+@[^\\s,;<>"@]+$',
            description: 'One email address, such as ada@example.org.',
          },
        ],
      }),
    }),
    async () => null,
    async ({ effects, input }) =>
      run(effects, 'revoke-sessions', revokeSessions, { email: input.email }),
  ),
  'list-users': withoutInput('list-users', listUsers),
  'duplicate-accounts': withoutInput('duplicate-accounts', duplicateAccounts),
  'remove-user': sdk.Action.withInput(
    'remove-user',
    meta(removeUser),
    InputSpec.of({
      email: Value.text({
        name: 'Email',
        description: 'The email address of the account to remove.',
        required: true,
        default: null,
        patterns: [
          {
            regex: '^[^\\s,;<>"]+@[^\\s,;<>"@]+$',
            description: 'One email address, such as ada@example.org.',
          },
        ],
      }),
      recaps: Value.number({
        name: 'Recaps That Go With It',
        description:
          'The number of recaps the account has, as confirmation that they are to be deleted.',
        required: true,
        default: 0,
        min: 0,
        max: 10_000_000,
        integer: true,
      }),
    }),
    async () => null,
    async ({ effects, input }) =>
      run(effects, 'remove-user', removeUser, {
        email: input.email,
        recaps: input.recaps,
      }),
  ),
  'grant-credits': sdk.Action.withInput(
    'grant-credits',
    meta(grantCredits),
    InputSpec.of({
      email: accountEmail(),
      credits: Value.number({
        name: 'Credits',
        description: 'How many credits to give.',
        required: true,
        default: 10,
        min: 1,
        max: 1_000_000,
        integer: true,
        units: 'credits',
      }),
      note: Value.text({
        name: 'Note',
        description: "Why, kept in the account's credit history (optional).",
        required: false,
        default: null,
      }),
    }),
    async () => null,
    async ({ effects, input }) =>
      run(effects, 'grant-credits', grantCredits, {
        email: input.email,
        credits: input.credits,
        note: input.note ?? '',
      }),
  ),
  'set-tier': sdk.Action.withInput(
    'set-tier',
    meta(setTier),
    InputSpec.of({
      email: accountEmail(),
      tier: Value.select({
        name: 'Tier',
        description: 'The plan to give.',
        default: 'pro',
        values: { core: 'Core', pro: 'Pro', max: 'Max' },
      }),
      days: Value.number({
        name: 'Days',
        description: 'How long the plan lasts; 0 means until you change it.',
        required: true,
        default: 30,
        min: 0,
        max: 36500,
        integer: true,
        units: 'days',
      }),
    }),
    async () => null,
    async ({ effects, input }) =>
      run(effects, 'set-tier', setTier, {
        email: input.email,
        tier: input.tier,
        days: input.days,
      }),
  ),
  'invite-user': sdk.Action.withInput(
    'invite-user',
    meta(inviteUser),
    emailInput(),
    async () => null,
    async ({ effects, input }) =>
      run(effects, 'invite-user', inviteUser, { email: input.email }),
  ),
}
