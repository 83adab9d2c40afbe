import { auditChangeRule } from './helpers';

/** Two-factor actions on a person (their own, or an administrator's reset), as opposed to the account's policy. */
export const MFA_ACTIONS = ['updatmfa', 'enblmfa', 'disblmfa', 'updatduo', 'enblduo', 'disblduo'] as const;

export const userMfaChanged = auditChangeRule({
  id: 'user-mfa-changed',
  title: "A person's two-factor authentication changed",
  severity: 'LOW',
  mitre: {
    tactic: 'TA0006',
    technique: 'T1556.006',
    name: 'Modify Authentication Process: Multi-Factor Authentication',
  },
  runbook:
    'Ask the person whether they changed their second factor, or asked for it to be reset. If not, sign them out of every device and reset it with them.',
  actions: MFA_ACTIONS,
  objectTypes: ['user', 'mfa', 'duo'],
  did: 'changed two-factor settings',
  // People replace phones and keys all the time; mfa-change-burst and account-mfa-disabled stay on.
  enabledByDefault: false,
});
