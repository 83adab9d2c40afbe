import { auditChangeRule } from './helpers';

const TOKEN_ACTIONS = new Set(['trename', 'tverify', 'trevoke']);

/**
 * A service account's token created or revoked (`satoken`), renamed, verified or revoked (the
 * `t…` actions). An administrator's rotation (a new token, verified, renamed, the old one
 * revoked) is one finding: their changes within `sittingMinutes` of the first are one sitting.
 */
export const serviceAccountTokenChanged = auditChangeRule({
  id: 'service-account-token-changed',
  title: 'Service account token created, renamed, verified or revoked',
  severity: 'MEDIUM',
  mitre: {
    tactic: 'TA0003',
    technique: 'T1098.001',
    name: 'Account Manipulation: Additional Cloud Credentials',
  },
  runbook:
    'A new token is a new credential to every vault the service account reads. Check with the administrator named where it is kept and that an old one was revoked; revoke it in 1Password if nobody owns it.',
  actions: ['create', 'revoke', 'delete'],
  objectTypes: ['satoken'],
  also: (event) => event.action !== undefined && TOKEN_ACTIONS.has(event.action),
  did: 'changed a service account token',
  sittingMinutes: 60,
});
