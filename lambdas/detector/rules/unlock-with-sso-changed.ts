import { auditChangeRule } from './helpers';

/** Unlock with SSO turned on or off, or who it applies to changed. */
export const unlockWithSsoChanged = auditChangeRule({
  id: 'unlock-with-sso-changed',
  title: 'Unlock with SSO changed',
  severity: 'HIGH',
  mitre: { tactic: 'TA0006', technique: 'T1556', name: 'Modify Authentication Process' },
  runbook:
    'Confirm with the administrator named. Turning unlock with SSO off, or moving people out of it, changes how they prove who they are: check Policies > Unlock with SSO in 1Password and which groups it applies to.',
  actions: ['enblsso', 'disblsso', 'chngasso', 'chngdsso'],
  did: 'changed unlock with SSO',
});
