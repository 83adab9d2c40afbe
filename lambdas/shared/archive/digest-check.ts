import type { KeyObject } from 'node:crypto';
import type { EventType } from '../event-types';
import {
  type Digest,
  DigestMetadataKey,
  digestKey,
  digestPrefix,
  parseDigest,
  parseDigestKey,
  verifyDigestSignature,
} from './digest';
import type { ArchiveSource } from './source';

/** A batch object as a valid digest signed it. */
export interface SignedRef {
  readonly key: string;
  readonly sha256: string;
  /** The digest that signed it. */
  readonly digestKey: string;
}

/** What is wrong with a source's digests. */
export interface DigestFinding {
  /** `digest-missing`: a number without a digest, or none for too long; `digest-invalid`: a signature, body or link that does not hold. */
  readonly kind: 'digest-missing' | 'digest-invalid';
  readonly key: string;
  readonly detail: string;
}

export interface DigestCheck {
  readonly digestPrefix: string;
  /** Digest objects found. */
  readonly digests: number;
  /** Digests whose signature verified. */
  readonly valid: number;
  readonly newest: { readonly key: string; readonly endTime: string } | undefined;
  readonly findings: DigestFinding[];
  /** Per stream, each sequence number a valid digest signed, and how. */
  readonly signed: Map<EventType, Map<number, SignedRef>>;
}

export interface DigestCheckOptions {
  readonly prefix: string;
  readonly source: string;
  /** The notary's public key: `op-events-archive public-key`, or the demo's stand-in. */
  readonly publicKey: KeyObject;
  /**
   * A newest digest older than this is a finding: the notary stopped, or newer digests were removed.
   * @default - not checked
   */
  readonly maxAgeMs?: number;
  readonly now?: number;
}

/**
 * Walks a source's digests in number order, as `aws cloudtrail validate-logs` walks
 * CloudTrail's: each must carry a signature that the public key verifies over its exact
 * bytes, follow the previous digest (number, key and signature), and belong to the source.
 * Returns what the valid ones sign, for {@link verifyStream} to check every object against.
 */
export async function checkDigests(
  archive: ArchiveSource,
  options: DigestCheckOptions,
): Promise<DigestCheck> {
  const prefix = digestPrefix(options.prefix, options.source);
  const findings: DigestFinding[] = [];
  const numbered: Array<{ number: number; key: string }> = [];
  for await (const entry of archive.list(prefix)) {
    const parts = parseDigestKey(entry.key);
    if (parts && parts.prefix === options.prefix && parts.source === options.source) {
      numbered.push({ number: parts.number, key: entry.key });
    } else if (!entry.key.endsWith('.meta.json')) {
      findings.push({
        kind: 'digest-invalid',
        key: entry.key,
        detail: 'not a digest key (expected <12-digit number>.json)',
      });
    }
  }
  numbered.sort((a, b) => a.number - b.number);

  const signed = new Map<EventType, Map<number, SignedRef>>();
  let previous: { key: string; number: number; signature: string } | undefined;
  let newest: DigestCheck['newest'];
  let valid = 0;
  let expected = 1;
  for (const { number, key } of numbered) {
    if (number > expected) {
      findings.push({
        kind: 'digest-missing',
        key: digestKey(options.prefix, options.source, expected),
        detail:
          number - 1 > expected
            ? `digests ${expected} to ${number - 1} are missing (removed, or never written)`
            : 'this digest is missing (removed, or never written)',
      });
      previous = undefined;
    }
    expected = number + 1;
    const checked = await readDigest(archive, key, options.publicKey);
    if ('problem' in checked) {
      findings.push({ kind: 'digest-invalid', key, detail: checked.problem });
      previous = undefined;
      continue;
    }
    const { digest, signature } = checked;
    valid += 1;
    const problems: string[] = [];
    if (digest.source !== options.source) problems.push(`it names source "${digest.source}"`);
    if (digest.number !== number) problems.push(`its body says number ${digest.number}`);
    if (number === 1 && (digest.previousDigestKey !== null || digest.previousDigestSignature !== null)) {
      problems.push('digest 1 names a predecessor');
    }
    if (previous && previous.number === number - 1) {
      if (digest.previousDigestKey !== previous.key)
        problems.push(`it names ${digest.previousDigestKey} as its predecessor`);
      if (digest.previousDigestSignature !== previous.signature) {
        problems.push(`its previousDigestSignature is not the signature of ${previous.key}`);
      }
    }
    for (const problem of problems) findings.push({ kind: 'digest-invalid', key, detail: problem });
    for (const entry of digest.streams) {
      let refs = signed.get(entry.stream);
      if (!refs) {
        refs = new Map();
        signed.set(entry.stream, refs);
      }
      for (const object of entry.objects) {
        const earlier = refs.get(object.seq);
        if (earlier && (earlier.key !== object.key || earlier.sha256 !== object.sha256)) {
          findings.push({
            kind: 'digest-invalid',
            key,
            detail: `it signs ${entry.stream} seq ${object.seq} as ${object.key} (${object.sha256}), ${earlier.digestKey} as ${earlier.key} (${earlier.sha256})`,
          });
          continue;
        }
        refs.set(object.seq, { key: object.key, sha256: object.sha256, digestKey: key });
      }
    }
    previous = { key, number, signature };
    newest = { key, endTime: digest.digestEndTime };
  }

  if (options.maxAgeMs !== undefined) {
    const now = options.now ?? Date.now();
    const newestTime = newest ? Date.parse(newest.endTime) : undefined;
    if (newestTime === undefined || now - newestTime > options.maxAgeMs) {
      findings.push({
        kind: 'digest-missing',
        key: digestKey(options.prefix, options.source, (numbered.at(-1)?.number ?? 0) + 1),
        detail: newest
          ? `no digest since ${newest.endTime} (${newest.key}): the notary stopped, or newer digests were removed`
          : numbered.length > 0
            ? 'no digest with a valid signature'
            : 'no digest at all: the notary never ran for this source, or its digests were removed',
      });
    }
  }
  return { digestPrefix: prefix, digests: numbered.length, valid, newest, findings, signed };
}

async function readDigest(
  archive: ArchiveSource,
  key: string,
  publicKey: KeyObject,
): Promise<{ digest: Digest; signature: string } | { problem: string }> {
  const object = await archive.open(key);
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(Buffer.from(chunk));
  const body = Buffer.concat(chunks);
  const signature = object.metadata?.[DigestMetadataKey.signature];
  if (!signature) return { problem: 'it has no signature in its metadata' };
  if (!verifyDigestSignature(body, Buffer.from(signature, 'base64'), publicKey)) {
    return {
      problem:
        'its signature does not verify with the notary public key: the digest or its signature was changed, or another key signed it',
    };
  }
  try {
    return { digest: parseDigest(body), signature };
  } catch (error) {
    return { problem: `signed, but ${(error as Error).message}` };
  }
}
