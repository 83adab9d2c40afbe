/**
 * The archive's contract with its readers (SIEM pipelines, Athena, the `verify` command):
 * where a batch lives and what its metadata says. Changing anything here breaks them.
 */
import type { EventType } from '../event-types';

export const CONTENT_TYPE = 'application/x-ndjson';
export const CONTENT_ENCODING = 'gzip';

/** S3 user metadata keys (sent as `x-amz-meta-<key>`). */
export const MetadataKey = {
  source: 'source',
  stream: 'stream',
  seq: 'seq',
  eventCount: 'event-count',
  firstEventTime: 'first-event-time',
  lastEventTime: 'last-event-time',
  /** SHA-256 (hex) of the uncompressed NDJSON body. */
  sha256: 'body-sha256',
  /** `body-sha256` of the stream's previous batch; 64 zeros for the first. */
  prevSha256: 'prev-body-sha256',
  /**
   * `true` when some lines of the body are the collector's compact `JSON.stringify` of an
   * event rather than the bytes the API sent (the API pretty-printed the page, or sent bytes
   * that are not UTF-8); absent when every line is the API's bytes.
   */
  reserialized: 'reserialized',
} as const;

export const SEQ_DIGITS = 12;

/** `{prefix}source={source}/type={stream}/` */
export function streamPrefix(prefix: string, source: string, stream: EventType): string {
  return `${prefix}source=${source}/type=${stream}/`;
}

/** `{prefix}source={source}/type={stream}/dt={YYYY-MM-DD}/{seq}.ndjson.gz`, `dt` being the UTC date written. */
export function batchKey(
  prefix: string,
  source: string,
  stream: EventType,
  writtenDate: string,
  seq: number,
): string {
  return `${streamPrefix(prefix, source, stream)}dt=${writtenDate}/${String(seq).padStart(SEQ_DIGITS, '0')}.ndjson.gz`;
}

const KEY_PATTERN = /^(.*)source=([a-z0-9-]+)\/type=([a-z]+)\/dt=(\d{4}-\d{2}-\d{2})\/(\d{12})\.ndjson\.gz$/;

/** The parts of a batch key, or `undefined` for any other key. */
export function parseBatchKey(
  key: string,
): { prefix: string; source: string; stream: string; date: string; seq: number } | undefined {
  const match = KEY_PATTERN.exec(key);
  if (!match) return undefined;
  const [, prefix = '', source = '', stream = '', date = '', seq = '0'] = match;
  return { prefix, source, stream, date, seq: Number(seq) };
}
