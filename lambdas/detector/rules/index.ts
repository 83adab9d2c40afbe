import type { AnyRule } from '../../shared/detections/rule';
import { accountCreatedManually } from './account-created-manually';
import { accountMfaDisabled } from './account-mfa-disabled';
import { adminSelfGrant } from './admin-self-grant';
import { clientAppNotAllowed } from './client-app-not-allowed';
import { excessiveReveals } from './excessive-reveals';
import { exportBeforeOffboarding } from './export-before-offboarding';
import { failedSigninBurstIp } from './failed-signin-burst-ip';
import { failedSigninBurstUser } from './failed-signin-burst-user';
import { firewallRulesChanged } from './firewall-rules-changed';
import { impossibleTravel } from './impossible-travel';
import { mfaChangeBurst } from './mfa-change-burst';
import { newIpSignin } from './new-ip-signin';
import { privilegedGroupMemberAdded } from './privileged-group-member-added';
import { privilegedVaultPermissionsChanged } from './privileged-vault-permissions-changed';
import { selfGrantThenAccess } from './self-grant-then-access';
import { sensitiveItemUsed } from './sensitive-item-used';
import { serviceAccountCreated } from './service-account-created';
import { serviceAccountTokenChanged } from './service-account-token-changed';
import { signinFromDeniedCountry } from './signin-from-denied-country';
import { ssoConfigurationChanged } from './sso-configuration-changed';
import { unlockWithSsoChanged } from './unlock-with-sso-changed';
import { userMfaChanged } from './user-mfa-changed';
import { vaultExport } from './vault-export';

/**
 * Every rule, in the order they run on an event. Rules that record history another rule reads
 * run first: the self-grant before the access that follows it, the export before the offboarding.
 */
export const RULES: readonly AnyRule[] = [
  ssoConfigurationChanged,
  unlockWithSsoChanged,
  firewallRulesChanged,
  accountMfaDisabled,
  userMfaChanged,
  mfaChangeBurst,
  accountCreatedManually,
  serviceAccountCreated,
  serviceAccountTokenChanged,
  adminSelfGrant,
  selfGrantThenAccess,
  privilegedVaultPermissionsChanged,
  privilegedGroupMemberAdded,
  vaultExport,
  exportBeforeOffboarding,
  newIpSignin,
  failedSigninBurstUser,
  failedSigninBurstIp,
  signinFromDeniedCountry,
  impossibleTravel,
  clientAppNotAllowed,
  sensitiveItemUsed,
  excessiveReveals,
];
