/**
 * The OCSF version every record is written in: 1.1.0, the version of Amazon Security Lake's
 * own version-2 sources, and so the one its custom sources are read against (README, OCSF).
 */
export const OCSF_VERSION = '1.1.0';

/** `metadata.product` of every record: the events come from 1Password, through this connector. */
export const PRODUCT = { name: '1Password Events API', vendor_name: '1Password' } as const;

/** The IAM category (3) holds every class the three streams map to. */
export const IAM_CATEGORY = { uid: 3, name: 'Identity & Access Management' } as const;

export const SEVERITY_INFORMATIONAL = { id: 1, name: 'Informational' } as const;
