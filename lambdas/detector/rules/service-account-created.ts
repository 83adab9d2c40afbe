import { auditChangeRule } from './helpers';

export const serviceAccountCreated = auditChangeRule({
  id: 'service-account-created',
  title: 'Service account created',
  severity: 'MEDIUM',
  mitre: { tactic: 'TA0003', technique: 'T1136.003', name: 'Create Account: Cloud Account' },
  runbook:
    'A service account reads vaults without a person behind it. Check with the administrator named which vaults it may read and where its token will live; delete it if nobody owns it.',
  actions: ['create'],
  objectTypes: ['sa'],
  did: 'created a service account',
});
