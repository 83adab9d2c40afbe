import { auditChangeRule } from './helpers';

/** Two-factor authentication (or Duo) turned off for the account, not for one person. */
export const accountMfaDisabled = auditChangeRule({
  id: 'account-mfa-disabled',
  title: 'Two-factor authentication disabled for the account',
  severity: 'HIGH',
  mitre: {
    tactic: 'TA0006',
    technique: 'T1556.006',
    name: 'Modify Authentication Process: Multi-Factor Authentication',
  },
  runbook:
    'Confirm with the administrator named, right away: without two-factor authentication a stolen password and Secret Key are enough to sign in. Turn it back on in Policies > Two-factor authentication unless the change was planned.',
  actions: ['disblmfa', 'disblduo'],
  objectTypes: ['account'],
  did: 'disabled two-factor authentication for the account',
});
