import { auditChangeRule } from './helpers';

/**
 * A person invited or created by hand. Where accounts come from provisioning (SCIM bridge), a
 * hand-made account bypasses the identity provider's joiner process; provisioned ones are `provsn`.
 */
export const accountCreatedManually = auditChangeRule({
  id: 'account-created-manually',
  title: 'Account created by hand, not by provisioning',
  severity: 'LOW',
  mitre: { tactic: 'TA0003', technique: 'T1136.003', name: 'Create Account: Cloud Account' },
  runbook:
    'Check that the person is expected and that the administrator named may invite people. If your accounts come from the SCIM bridge, ask why this one did not; suspend it if nobody vouches for it.',
  actions: ['create', 'invite'],
  objectTypes: ['user', 'invite'],
  did: 'created an account by hand',
  // Only where people come from the SCIM bridge is a hand-made account unusual; elsewhere it is every hire.
  enabledByDefault: false,
});
