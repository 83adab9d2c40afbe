import { auditChangeRule } from './helpers';

/** The identity provider added, deleted or changed, and its device trust settings (1Password's action abbreviations). */
export const ssoConfigurationChanged = auditChangeRule({
  id: 'sso-configuration-changed',
  title: 'SSO configuration changed',
  severity: 'HIGH',
  mitre: { tactic: 'TA0006', technique: 'T1556.007', name: 'Modify Authentication Process: Hybrid Identity' },
  runbook:
    'Confirm the change with the administrator named, and that a change request exists. An identity provider you do not control lets whoever controls it sign in as anyone it asserts: review Integrations > SSO in 1Password and revert it.',
  actions: ['addgsso', 'delgsso', 'chngpsso', 'sdvcsso', 'tdvcsso'],
  did: 'changed the SSO configuration',
});
