import { sdk } from '../sdk'
import {
  configureAccounts,
  configureAdvanced,
  configureEngine,
  configurePayments,
  configureRelay,
  configureSmtp,
} from './configure'
import { recapActions } from './recapActions'
import { showStatus } from './showStatus'

const r = recapActions

export const actions = sdk.Actions.of()
  .addAction(showStatus)
  .addAction(configureEngine)
  .addAction(configureSmtp)
  .addAction(configureAccounts)
  .addAction(configureRelay)
  .addAction(configurePayments)
  .addAction(configureAdvanced)
  .addAction(r['reset-owner-password'])
  .addAction(r['create-backup'])
  .addAction(r['restore-backup'])
  .addAction(r['library-stats'])
  .addAction(r['check-follows'])
  .addAction(r['switch-mode'])
  .addAction(r['admin-login-link'])
  .addAction(r['revoke-sessions'])
  .addAction(r['list-users'])
  .addAction(r['duplicate-accounts'])
  .addAction(r['invite-user'])
  .addAction(r['remove-user'])
  .addAction(r['grant-credits'])
  .addAction(r['set-tier'])
  .addAction(r['payments-check'])
  .addAction(r['reconcile-payments'])
