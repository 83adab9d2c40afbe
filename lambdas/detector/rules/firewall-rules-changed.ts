import { auditChangeRule } from './helpers';

export const firewallRulesChanged = auditChangeRule({
  id: 'firewall-rules-changed',
  title: 'Sign-in firewall rules changed',
  severity: 'MEDIUM',
  mitre: {
    tactic: 'TA0005',
    technique: 'T1562.007',
    name: 'Impair Defenses: Disable or Modify Cloud Firewall',
  },
  runbook:
    'Confirm with the administrator named. A loosened rule lets sign-ins through from places that were blocked: compare Policies > Firewall rules in 1Password with what your team agreed.',
  actions: ['updatfw'],
  did: 'changed the firewall rules',
});
