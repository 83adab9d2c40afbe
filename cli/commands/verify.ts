import type { KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { digestPrefix, publicKeyFingerprint, readPublicKey } from '../../lambdas/shared/archive/digest';
import { checkDigests, type DigestCheck } from '../../lambdas/shared/archive/digest-check';
import { FileArchive } from '../../lambdas/shared/archive/file-archive';
import { streamPrefix } from '../../lambdas/shared/archive/format';
import { type ArchiveSource, S3ArchiveSource } from '../../lambdas/shared/archive/source';
import {
  type CommittedChain,
  type Finding,
  type FindingKind,
  type StreamVerification,
  VerificationAborted,
  verifyStream,
} from '../../lambdas/shared/archive/verifier';
import { findRewrittenKeys, type VersionFinding } from '../../lambdas/shared/archive/versions';
import { EVENT_TYPES, type EventType } from '../../lambdas/shared/event-types';
import { StateStore, type StreamState, streamKey } from '../../lambdas/shared/state-store';
import {
  awsOptions,
  commonOptions,
  eventTypes,
  parseCommandLine,
  positiveInteger,
  progressOptions,
  progressWanted,
  sourceName,
} from '../args';
import type { AwsClients } from '../aws';
import { backfillStateKey, parseBackfillPrefix } from '../backfill-naming';
import { EXIT_CODES_HELP, ExitCode, UsageError } from '../exit-codes';
import { bytes, count, plural, rate, toJson } from '../format';
import type { CliIo } from '../io';
import { Progress } from '../progress';

export const VERIFY_HELP = `Usage: op-events-archive verify --source NAME (--bucket NAME | --dir PATH) [options]

Checks that a source's archive is complete, its hash chain intact and every object as the
notary signed it, as \`aws cloudtrail validate-logs\` does for CloudTrail. With the notary's
public key (--key-id or --public-key) it first walks the source's digests under
<prefix>digests/source=<source>/: each signature must verify, each digest follow the previous
one, and none be missing or, in a bucket, older than --digest-max-age. For each stream it lists every object under
<prefix>source=<source>/type=<stream>/, orders them by sequence number, and checks that
  - sequence numbers run from 1 without a gap or a duplicate,
  - each body is gzip of NDJSON (one JSON object per line),
  - each body hashes to the body-sha256 in its metadata, and holds event-count events,
  - each object's prev-body-sha256 is its predecessor's body-sha256 (64 zeros for the first),
  - nothing else is under the stream's prefix,
  - no event uuid is on two lines of the stream (an overlap archived twice keeps the chain intact),
  - every object a digest signed is there, under the signed key, with the signed body hash,
and reports missing, altered, misplaced, malformed and foreign objects by key, and each
duplicated event by key and line. With --table it also checks the newest object against the
chain head in the state table, so deleting the newest objects shows. Bodies are streamed;
past --memory-mb, uuids are set aside in temporary files under $TMPDIR (about 40 bytes per
event, removed at the end), so memory stays bounded at any size.

Archive (one of):
  --bucket NAME          the archive bucket (the stack's ArchiveBucketName output; default $ARCHIVE_BUCKET)
  --dir PATH             a local archive: the folder \`collect\` writes, or a copy of the bucket with
                         each object's metadata beside it in <key>.meta.json (see README §Operate)

Options:
  --source NAME          the source to verify (required)
  --stream LIST          comma list of streams (default: signinattempts,itemusages,auditevents)
  --prefix PREFIX        the archive prefix (default $ARCHIVE_PREFIX or none); for a backfill:
                         <prefix>backfill/<from>_<to>/ as printed by \`backfill\`
  --table NAME           the state table (StateTableName output): also check the newest objects
  --key-id ARN           the notary's key (NotaryKeyArn output; default $NOTARY_KEY_ID): its public
                         key is read with kms:GetPublicKey and the digests are checked with it
  --public-key FILE      the notary's public key in PEM (\`op-events-archive public-key\`), to check
                         the digests offline; the demo writes one beside its archive
  --digest-max-age H     a newest digest older than H hours is a finding (default 3 with --bucket,
                         not checked with --dir)
  --skip-versions        with --bucket, do not list object versions (by default every key with a
                         second version or a delete marker is a finding; needs s3:ListBucketVersions,
                         which the analyst policy grants). A local copy has no versions.
  --from-seq N           start the chain at N, for an archive whose oldest objects were expired on purpose
  --concurrency N        objects read at once (default 16)
  --memory-mb N          memory for the duplicate check (default 256, at most 2048); past it,
                         uuids go to temporary files
  --max-findings N       problems printed per stream (default 50; --json prints all)
  --region REGION        AWS region (default: AWS_REGION / profile)
  --progress, --no-progress
                         show progress on stderr (default: only on a terminal)
  --json                 print one JSON document instead of text
  -h, --help             show this help

Examples:
  op-events-archive verify --bucket acme-op-events-archive --source prod --table acme-op-events-state
  op-events-archive verify --dir ./archive --source local --stream itemusages
  op-events-archive verify --dir .demo/archive --source demo --public-key .demo/notary-public-key.pem

${EXIT_CODES_HELP}
`;

export interface VerifyOptions {
  readonly source: string;
  readonly streams: EventType[];
  readonly archive:
    | { readonly kind: 'bucket'; readonly bucket: string }
    | { readonly kind: 'dir'; readonly dir: string };
  readonly prefix: string;
  readonly table: string | undefined;
  /** Where the notary's public key comes from; `undefined` when digests are not checked. */
  readonly notaryKey:
    | { readonly kind: 'kms'; readonly keyId: string }
    | { readonly kind: 'pem'; readonly file: string }
    | undefined;
  readonly digestMaxAgeHours: number | undefined;
  /** List object versions (bucket only). */
  readonly versions: boolean;
  readonly fromSeq: number | undefined;
  readonly concurrency: number;
  readonly memoryMb: number;
  readonly maxFindings: number;
  readonly region: string | undefined;
  readonly progress: boolean;
  readonly json: boolean;
}

export function parseVerifyArgs(argv: string[], io: Pick<CliIo, 'env' | 'stderr'>): VerifyOptions {
  const values = parseCommandLine('verify', argv, {
    ...commonOptions,
    ...awsOptions,
    ...progressOptions,
    source: { type: 'string' },
    stream: { type: 'string' },
    bucket: { type: 'string' },
    dir: { type: 'string' },
    prefix: { type: 'string' },
    table: { type: 'string' },
    'key-id': { type: 'string' },
    'public-key': { type: 'string' },
    'digest-max-age': { type: 'string' },
    'skip-versions': { type: 'boolean' },
    'from-seq': { type: 'string' },
    concurrency: { type: 'string' },
    'memory-mb': { type: 'string' },
    'max-findings': { type: 'string' },
  });
  if (values.bucket !== undefined && values.dir !== undefined) {
    throw new UsageError('give either --bucket or --dir, not both');
  }
  const bucket = values.bucket ?? (values.dir === undefined ? io.env.ARCHIVE_BUCKET || undefined : undefined);
  if (bucket === undefined && values.dir === undefined) {
    throw new UsageError('say which archive to verify: --bucket NAME (or $ARCHIVE_BUCKET), or --dir PATH');
  }
  const prefix = values.prefix ?? io.env.ARCHIVE_PREFIX ?? '';
  if (prefix !== '' && !prefix.endsWith('/')) {
    throw new UsageError(`--prefix "${prefix}" must end with "/" (e.g. 1password/) or be empty`);
  }
  if (values['key-id'] !== undefined && values['public-key'] !== undefined) {
    throw new UsageError('give either --key-id or --public-key, not both');
  }
  const keyId =
    values['key-id'] ?? (values['public-key'] === undefined ? io.env.NOTARY_KEY_ID || undefined : undefined);
  return {
    source: sourceName(values.source),
    streams: eventTypes(values.stream, 'stream') ?? [...EVENT_TYPES],
    archive:
      values.dir !== undefined
        ? { kind: 'dir', dir: resolve(values.dir) }
        : { kind: 'bucket', bucket: bucket ?? '' },
    prefix,
    table: values.table,
    notaryKey:
      values['public-key'] !== undefined
        ? { kind: 'pem', file: resolve(values['public-key']) }
        : keyId !== undefined
          ? { kind: 'kms', keyId }
          : undefined,
    digestMaxAgeHours:
      values['digest-max-age'] !== undefined
        ? positiveInteger(values['digest-max-age'], 'digest-max-age', 3, 24 * 366)
        : values.dir === undefined
          ? 3
          : undefined,
    versions: values['skip-versions'] !== true && values.dir === undefined,
    fromSeq:
      values['from-seq'] === undefined ? undefined : positiveInteger(values['from-seq'], 'from-seq', 1),
    concurrency: positiveInteger(values.concurrency, 'concurrency', 16, 256),
    memoryMb: positiveInteger(values['memory-mb'], 'memory-mb', 256, 2048),
    maxFindings: positiveInteger(values['max-findings'], 'max-findings', 50),
    region: values.region,
    progress: progressWanted(values, io.stderr.isTTY === true),
    json: values.json === true,
  };
}

export interface VerifyDependencies {
  readonly io: CliIo;
  readonly aws: AwsClients;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly location: string;
  readonly source: string;
  readonly prefix: string;
  readonly streams: StreamVerification[];
  readonly objectsChecked: number;
  readonly events: number;
  readonly storedBytes: number;
  readonly durationMs: number;
  readonly objectsPerSecond: number;
  readonly eventsPerSecond: number;
  readonly findingsByKind: Partial<Record<FindingKind | DigestFindingKind, number>>;
  /** The digest walk; `undefined` when no notary key was given, or for a backfill (the notary signs the collectors' streams only). */
  readonly digests: DigestSummary | undefined;
  /** Keys with a second version or a delete marker; `undefined` for a local copy or with --skip-versions. */
  readonly versions:
    | { readonly versionsListed: number; readonly findings: VersionFinding[]; readonly unsupported?: boolean }
    | undefined;
}

type DigestFindingKind = DigestCheck['findings'][number]['kind'] | VersionFinding['kind'];

export interface DigestSummary {
  readonly digestPrefix: string;
  readonly digests: number;
  readonly valid: number;
  readonly newest: DigestCheck['newest'];
  /** SHA-256 of the public key's DER, to compare with the one \`public-key\` prints. */
  readonly publicKeyFingerprint: string;
  readonly findings: DigestCheck['findings'];
  /** Objects the valid digests sign, over the streams verified. */
  readonly objectsSigned: number;
}

export async function verify(options: VerifyOptions, deps: VerifyDependencies): Promise<ExitCode> {
  const { io } = deps;
  if (options.archive.kind === 'dir' && !existsSync(options.archive.dir)) {
    throw new UsageError(`--dir ${options.archive.dir} does not exist`);
  }
  const archive: ArchiveSource =
    options.archive.kind === 'dir'
      ? new FileArchive(options.archive.dir)
      : new S3ArchiveSource(deps.aws.s3(), options.archive.bucket);
  const state = options.table === undefined ? undefined : new StateStore(deps.aws.documents(), options.table);
  const progress = new Progress(io.stderr, { enabled: options.progress, now: io.now });
  const started = io.now();
  const streams: StreamVerification[] = [];
  const notes: string[] = [];

  let digests: DigestCheck | undefined;
  let fingerprint = '';
  if (options.notaryKey && parseBackfillPrefix(options.prefix)) {
    notes.push('a backfill is not signed by the notary: digests not checked');
  } else if (options.notaryKey) {
    const publicKey = await loadPublicKey(options.notaryKey, deps);
    fingerprint = publicKeyFingerprint(publicKey);
    progress.update(() => `verify: checking the digests of ${options.source}...`);
    digests = await checkDigests(archive, {
      prefix: options.prefix,
      source: options.source,
      publicKey,
      ...(options.digestMaxAgeHours === undefined ? {} : { maxAgeMs: options.digestMaxAgeHours * 3_600_000 }),
      now: io.now(),
    });
  } else {
    notes.push(
      'no notary key given (--key-id or --public-key): digests not checked, so a consistent rewrite would not show',
    );
  }

  for (const stream of options.streams) {
    const stateKey = stateKeyFor(options, stream);
    const before = state ? await state.get(stateKey) : undefined;
    if (state && before === undefined)
      notes.push(`${stream}: the state table has no item ${stateKey}; newest objects not checked`);
    let rateStart = io.now();
    let verification: StreamVerification;
    try {
      verification = await verifyStream(archive, {
        prefix: options.prefix,
        source: options.source,
        stream,
        ...(options.fromSeq === undefined ? {} : { fromSeq: options.fromSeq }),
        ...(before ? { committed: committedChain(before) } : {}),
        ...(digests ? { signed: digests.signed.get(stream) ?? new Map() } : {}),
        concurrency: options.concurrency,
        duplicateMemoryBytes: options.memoryMb * 1024 * 1024,
        signal: io.signal,
        onProgress: (p) => {
          if (p.phase === 'listing') {
            rateStart = io.now();
            progress.update(() => `verify ${stream}: listing ${count(p.listed)} keys...`);
            return;
          }
          if (p.phase === 'duplicates') {
            progress.update(
              () => `verify ${stream}: ${count(p.events)} events read; looking for duplicates...`,
            );
            return;
          }
          progress.update(() => {
            const share = p.total === 0 ? 100 : Math.floor((p.checked * 100) / p.total);
            return (
              `verify ${stream}: ${count(p.checked)}/${count(p.total)} objects (${share}%), ` +
              `${count(p.events)} events, ${rate(p.checked, io.now() - rateStart)} objects/s`
            );
          });
        },
      });
    } catch (error) {
      progress.clear();
      if (error instanceof VerificationAborted) {
        io.stderr.write(`verify: interrupted while checking ${stream}; nothing was changed.\n`);
        return ExitCode.interrupted;
      }
      throw error;
    }
    if (state && before && verification.findings.some((finding) => finding.kind === 'uncommitted')) {
      // Objects the collector wrote while the listing ran are committed by now: only those still past the head count.
      const after = await state.get(stateKey);
      verification = { ...verification, findings: withoutCommittedSince(verification.findings, after) };
    }
    const withoutUuid = verification.duplicateCheck?.withoutUuid ?? 0;
    if (withoutUuid > 0) {
      notes.push(
        `${stream}: ${plural(withoutUuid, 'event')} without a top-level string "uuid", not checked for duplicates`,
      );
    }
    streams.push(verification);
  }
  progress.clear();

  if (
    streams.every((stream) => stream.keysListed === 0 && stream.findings.length === 0) &&
    (digests?.digests ?? 0) === 0
  ) {
    // Most likely a wrong --source, --prefix or bucket: an empty answer must not pass as a clean one.
    throw new UsageError(
      `no objects under ${options.prefix}source=${options.source}/ in ${archive.location} for ${options.streams.join(', ')}; ` +
        'check --source, --prefix and --stream (and --region for a bucket)',
    );
  }
  const durationMs = Math.max(1, io.now() - started);
  const objectsChecked = sum(streams, (s) => s.objectsChecked);
  const events = sum(streams, (s) => s.events);
  let versions: VerifyResult['versions'];
  if (options.versions && options.archive.kind === 'bucket') {
    versions = await listRewrittenKeys(options, deps, digests !== undefined);
    if (versions.unsupported) {
      notes.push(
        `${archive.location} does not list object versions (ListObjectVersions): replaced and hidden objects not checked`,
      );
      versions = undefined;
    }
  }
  const findingsByKind: VerifyResult['findingsByKind'] = {};
  for (const finding of [
    ...(digests?.findings ?? []),
    ...(versions?.findings ?? []),
    ...streams.flatMap((s) => s.findings),
  ]) {
    findingsByKind[finding.kind] = (findingsByKind[finding.kind] ?? 0) + 1;
  }
  const result: VerifyResult = {
    ok:
      streams.every((s) => s.findings.length === 0) &&
      (digests?.findings.length ?? 0) === 0 &&
      (versions?.findings.length ?? 0) === 0,
    location: archive.location,
    source: options.source,
    prefix: options.prefix,
    streams,
    objectsChecked,
    events,
    storedBytes: sum(streams, (s) => s.storedBytes),
    durationMs,
    objectsPerSecond: Math.round((objectsChecked * 1000) / durationMs),
    eventsPerSecond: Math.round((events * 1000) / durationMs),
    findingsByKind,
    digests: digests && {
      digestPrefix: digests.digestPrefix,
      digests: digests.digests,
      valid: digests.valid,
      newest: digests.newest,
      publicKeyFingerprint: fingerprint,
      findings: digests.findings,
      objectsSigned: sum(options.streams, (stream) => digests?.signed.get(stream)?.size ?? 0),
    },
    versions,
  };
  io.stdout.write(options.json ? toJson(result) : render(result, notes, options.maxFindings));
  return result.ok ? ExitCode.ok : ExitCode.problems;
}

/** Every version under the verified streams' prefixes (and the digests'), for keys written twice or hidden. */
async function listRewrittenKeys(
  options: VerifyOptions,
  deps: VerifyDependencies,
  withDigests: boolean,
): Promise<NonNullable<VerifyResult['versions']>> {
  if (options.archive.kind !== 'bucket') throw new Error('versions are listed in a bucket only');
  const prefixes = [
    ...options.streams.map((stream) => streamPrefix(options.prefix, options.source, stream)),
    ...(withDigests ? [digestPrefix(options.prefix, options.source)] : []),
  ];
  const findings: VersionFinding[] = [];
  let versionsListed = 0;
  for (const prefix of prefixes) {
    try {
      const listed = await findRewrittenKeys(deps.aws.s3(), options.archive.bucket, prefix, deps.io.signal);
      findings.push(...listed.findings);
      versionsListed += listed.versionsListed;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'MethodNotAllowed' || name === 'NotImplemented') {
        // An S3-compatible server without versioning (a local one): AWS S3 always answers.
        return { versionsListed, findings, unsupported: true };
      }
      if (name === 'AccessDenied') {
        throw new UsageError(
          `listing the versions under ${prefix} was refused: verify needs s3:ListBucketVersions on the bucket (the analyst ` +
            'policy grants it), or --skip-versions to leave out the check for replaced and hidden objects',
        );
      }
      throw error;
    }
  }
  return { versionsListed, findings };
}

async function loadPublicKey(
  source: NonNullable<VerifyOptions['notaryKey']>,
  deps: VerifyDependencies,
): Promise<KeyObject> {
  if (source.kind === 'pem') {
    if (!existsSync(source.file)) throw new UsageError(`--public-key ${source.file} does not exist`);
    try {
      return readPublicKey(readFileSync(source.file, 'utf8'));
    } catch (error) {
      throw new UsageError(
        `--public-key ${source.file} is not a PEM public key (${(error as Error).message})`,
      );
    }
  }
  const { PublicKey } = await deps.aws.kms().send(new GetPublicKeyCommand({ KeyId: source.keyId }));
  if (!PublicKey) throw new UsageError(`KMS returned no public key for ${source.keyId}`);
  return readPublicKey(PublicKey);
}

function stateKeyFor(options: VerifyOptions, stream: EventType): string {
  const range = parseBackfillPrefix(options.prefix);
  return range
    ? backfillStateKey(options.source, stream, range.from, range.to)
    : streamKey(options.source, stream);
}

function committedChain(state: StreamState): CommittedChain {
  return {
    nextSeq: state.nextSeq,
    headSha256: state.prevSha256,
    ...(state.pending ? { pending: { seq: state.pending.seq, sha256: state.pending.sha256 } } : {}),
  };
}

function withoutCommittedSince(findings: Finding[], after: StreamState | undefined): Finding[] {
  if (after === undefined) return findings;
  return findings.filter(
    (finding) =>
      finding.kind !== 'uncommitted' ||
      finding.seq === undefined ||
      (finding.seq >= after.nextSeq && finding.seq !== after.pending?.seq),
  );
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}

function render(result: VerifyResult, notes: string[], maxFindings: number): string {
  const lines: string[] = [];
  lines.push(`Verifying ${result.location}, source ${result.source}, prefix "${result.prefix}"`);
  lines.push('');
  const width = Math.max('versions'.length, ...result.streams.map((s) => s.stream.length));
  if (result.digests) lines.push(...renderDigests(result.digests, width, maxFindings));
  for (const stream of result.streams) {
    const name = stream.stream.padEnd(width);
    if (stream.keysListed === 0) {
      lines.push(`${name}  no objects under ${stream.streamPrefix}`);
      for (const finding of stream.findings) lines.push(`  ${describe(finding)}`);
      continue;
    }
    const span =
      stream.firstSeq === undefined
        ? 'no batch objects'
        : `objects ${count(stream.firstSeq)}–${count(stream.lastSeq ?? stream.firstSeq)} (${count(stream.objectsChecked)} read), ` +
          `${count(stream.events)} events, ${bytes(stream.storedBytes)}`;
    if (stream.findings.length === 0) {
      lines.push(`${name}  OK      ${span}, chain head ${stream.headSha256?.slice(0, 16) ?? '-'}…`);
      continue;
    }
    lines.push(`${name}  FAILED  ${span}; ${plural(stream.findings.length, 'problem')}:`);
    for (const finding of stream.findings.slice(0, maxFindings)) lines.push(`  ${describe(finding)}`);
    if (stream.findings.length > maxFindings) {
      lines.push(`  ... and ${count(stream.findings.length - maxFindings)} more (--json lists all)`);
    }
  }
  if (result.versions) lines.push(...renderVersions(result.versions, width, maxFindings));
  for (const note of notes) lines.push(`note: ${note}`);
  lines.push('');
  lines.push(
    `Checked ${count(result.objectsChecked)} objects, ${count(result.events)} events, ${bytes(result.storedBytes)} ` +
      `in ${(result.durationMs / 1000).toFixed(1)} s (${count(result.objectsPerSecond)} objects/s, ` +
      `${count(result.eventsPerSecond)} events/s).`,
  );
  if (result.ok) {
    lines.push(
      result.digests
        ? 'Result: OK, every stream is complete, its chain intact, and every signed object as it was signed.'
        : 'Result: OK, every stream is complete and its chain intact.',
    );
  } else {
    const kinds = Object.entries(result.findingsByKind)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ');
    lines.push(`Result: PROBLEMS FOUND (${kinds}). See README §Operate > Verify for what each means.`);
  }
  return `${lines.join('\n')}\n`;
}

function renderVersions(
  versions: NonNullable<VerifyResult['versions']>,
  width: number,
  maxFindings: number,
): string[] {
  const span = `${count(versions.versionsListed)} object versions listed`;
  return renderSection(
    'versions'.padEnd(width),
    `${span}; every key has its one version`,
    span,
    versions.findings,
    maxFindings,
  );
}

function renderDigests(summary: DigestSummary, width: number, maxFindings: number): string[] {
  const span =
    summary.digests === 0
      ? `none under ${summary.digestPrefix}`
      : `${count(summary.digests)} digests, ${count(summary.valid)} signed by the key ${summary.publicKeyFingerprint.slice(0, 16)}…, ` +
        `newest ${summary.newest?.endTime ?? '-'}; they sign ${count(summary.objectsSigned)} objects`;
  return renderSection('digests'.padEnd(width), span, span, summary.findings, maxFindings);
}

/** A line for a check that is not a stream's (digests, versions), and its findings. */
function renderSection(
  name: string,
  okSpan: string,
  span: string,
  findings: ReadonlyArray<{ kind: string; key: string; detail: string }>,
  maxFindings: number,
): string[] {
  if (findings.length === 0) return [`${name}  OK      ${okSpan}`];
  const lines = [`${name}  FAILED  ${span}; ${plural(findings.length, 'problem')}:`];
  for (const finding of findings.slice(0, maxFindings)) {
    lines.push(`  ${finding.kind.padEnd(14)}  ${finding.key}: ${finding.detail}`);
  }
  if (findings.length > maxFindings) {
    lines.push(`  ... and ${count(findings.length - maxFindings)} more (--json lists all)`);
  }
  return lines;
}

function describe(finding: Finding): string {
  // A missing object's detail already names its sequence numbers; its key (dt= folder) is unknown.
  const where =
    finding.key ?? (finding.seq === undefined || finding.kind === 'missing' ? '' : `seq ${finding.seq}`);
  return `${finding.kind.padEnd(11)}  ${where ? `${where}: ` : ''}${finding.detail}`;
}
