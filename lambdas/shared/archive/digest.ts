/**
 * Signed digests of the archive, on CloudTrail's model: every hour (by default) the notary
 * writes, per source, one digest object that names every batch object written since its
 * previous digest (key, sequence number, body SHA-256), each stream's chain head, and the
 * previous digest's signature, and signs it with a key only the notary may use. `verify`
 * checks the signatures offline with the public key, so the archive's content is fixed by
 * a key that neither the collectors nor the account's administrators hold.
 *
 * This module is the format's contract with its readers (README, "Digests"): keys, body,
 * metadata and signature. Changing anything here breaks the digests already written.
 */
import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { EVENT_TYPES, type EventType } from '../event-types';
import { SEQ_DIGITS } from './format';

export const DIGEST_FORMAT_VERSION = 1;
/** ECDSA on NIST P-256 over the SHA-256 of the digest's bytes, DER-encoded (KMS `ECDSA_SHA_256`). */
export const DIGEST_SIGNATURE_ALGORITHM = 'ECDSA_SHA_256';
export const DIGEST_CONTENT_TYPE = 'application/json';
/** Digests are numbered from 1 per source; the number is in the key, so a gap shows. */
export const DIGEST_NUMBER_DIGITS = SEQ_DIGITS;

/** S3 user metadata of a digest object: the signature cannot be part of what it signs. */
export const DigestMetadataKey = {
  /** Base64 of the DER-encoded ECDSA signature of the object's exact bytes. */
  signature: 'signature',
  signatureAlgorithm: 'signature-algorithm',
  /** The key that signed (a KMS key ARN, or a local stand-in's name). */
  signingKeyId: 'signing-key-id',
} as const;

/** One batch object as the notary saw it. */
export interface SignedObject {
  readonly seq: number;
  readonly key: string;
  /** `body-sha256` of the object: SHA-256 (hex) of its uncompressed body. */
  readonly sha256: string;
}

/** One stream in a digest. */
export interface StreamDigest {
  readonly stream: EventType;
  /** The newest object signed for the stream, by this digest or an earlier one; `null` before its first. */
  readonly head: SignedObject | null;
  /** Every object signed for the first time by this digest, in sequence order, contiguous after the previous head. */
  readonly objects: SignedObject[];
}

/** The body of a digest object. */
export interface Digest {
  readonly formatVersion: typeof DIGEST_FORMAT_VERSION;
  readonly source: string;
  /** 1 for a source's first digest, then one more for each. */
  readonly number: number;
  /** The previous digest's `digestEndTime`; `null` for the first. */
  readonly digestStartTime: string | null;
  /** When the notary read the chain heads (RFC 3339, UTC). */
  readonly digestEndTime: string;
  readonly previousDigestKey: string | null;
  /** The previous digest's signature (base64), which chains the digests as the batches are chained. */
  readonly previousDigestSignature: string | null;
  readonly signingKeyId: string;
  readonly signatureAlgorithm: typeof DIGEST_SIGNATURE_ALGORITHM;
  readonly streams: StreamDigest[];
}

/** `{prefix}digests/source={source}/`: written by the notary only (bucket policy). */
export function digestPrefix(prefix: string, source: string): string {
  return `${prefix}digests/source=${source}/`;
}

/** `{prefix}digests/source={source}/{number, 12 digits}.json` */
export function digestKey(prefix: string, source: string, number: number): string {
  return `${digestPrefix(prefix, source)}${String(number).padStart(DIGEST_NUMBER_DIGITS, '0')}.json`;
}

const DIGEST_KEY_PATTERN = /^(.*)digests\/source=([a-z0-9-]+)\/(\d{12})\.json$/;

/** The parts of a digest key, or `undefined` for any other key. */
export function parseDigestKey(key: string): { prefix: string; source: string; number: number } | undefined {
  const match = DIGEST_KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const [, prefix = '', source = '', number = '0'] = match;
  return { prefix, source, number: Number(number) };
}

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lowercase hex');
const signedObjectSchema = z.strictObject({
  seq: z.number().int().positive(),
  key: z.string().min(1),
  sha256: sha256Hex,
});
const digestSchema = z.strictObject({
  formatVersion: z.literal(DIGEST_FORMAT_VERSION),
  source: z.string().min(1),
  number: z.number().int().positive(),
  digestStartTime: z.string().nullable(),
  digestEndTime: z.string().min(1),
  previousDigestKey: z.string().nullable(),
  previousDigestSignature: z.string().nullable(),
  signingKeyId: z.string().min(1),
  signatureAlgorithm: z.literal(DIGEST_SIGNATURE_ALGORITHM),
  streams: z.array(
    z.strictObject({
      stream: z.enum(EVENT_TYPES),
      head: signedObjectSchema.nullable(),
      objects: z.array(signedObjectSchema),
    }),
  ),
});

/** The digest's bytes as stored and signed: indented JSON, so an auditor can read it. */
export function serializeDigest(digest: Digest): Buffer {
  return Buffer.from(`${JSON.stringify(digest, null, 2)}\n`, 'utf8');
}

/** Parses a digest's bytes; throws an error naming what is wrong. */
export function parseDigest(body: Buffer): Digest {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new Error(`not JSON (${(error as Error).message})`);
  }
  const parsed = digestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `not a digest of format ${DIGEST_FORMAT_VERSION}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  return parsed.data as Digest;
}

/** Signs digests. The notary's is backed by KMS; the demo and the tests use {@link LocalDigestSigner}. */
export interface DigestSigner {
  /** Written into each digest and its metadata. */
  readonly keyId: string;
  /** The DER-encoded ECDSA P-256 signature of SHA-256(`message`). */
  sign(message: Buffer, signal?: AbortSignal): Promise<Buffer>;
  /** The public key that verifies the signatures. */
  publicKey(signal?: AbortSignal): Promise<KeyObject>;
}

/**
 * A P-256 key held in memory: the demo's stand-in for the notary's KMS key, whose
 * signatures verify exactly as a KMS `ECDSA_SHA_256` signature does.
 */
export class LocalDigestSigner implements DigestSigner {
  private constructor(
    readonly keyId: string,
    private readonly privateKey: KeyObject,
  ) {}

  static generate(keyId: string): LocalDigestSigner {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new LocalDigestSigner(keyId, privateKey);
  }

  async sign(message: Buffer): Promise<Buffer> {
    return sign('sha256', message, { key: this.privateKey, dsaEncoding: 'der' });
  }

  async publicKey(): Promise<KeyObject> {
    return createPublicKey(this.privateKey);
  }
}

/** Whether `signature` (DER) is the signature of `message` by `publicKey`. */
export function verifyDigestSignature(message: Buffer, signature: Buffer, publicKey: KeyObject): boolean {
  try {
    return verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    // A signature that is not DER at all.
    return false;
  }
}

/** A public key from PEM (`-----BEGIN PUBLIC KEY-----`) or from DER SubjectPublicKeyInfo, as KMS GetPublicKey returns it. */
export function readPublicKey(input: string | Uint8Array): KeyObject {
  if (typeof input === 'string') return createPublicKey({ key: input, format: 'pem' });
  return createPublicKey({ key: Buffer.from(input), format: 'der', type: 'spki' });
}

/** The PEM of a public key, for `op-events-archive public-key`. */
export function publicKeyPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'spki' }).toString();
}

/** SHA-256 (hex) of the DER of a public key: a short fingerprint to compare out of band. */
export function publicKeyFingerprint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ format: 'der', type: 'spki' }))
    .digest('hex');
}
