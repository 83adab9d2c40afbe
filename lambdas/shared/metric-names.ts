/**
 * The collector's CloudWatch metric contract, shared by the runtime (which emits the
 * metrics as EMF) and the CDK app (which alarms on them and graphs them).
 *
 * Counters are emitted only when non-zero: a custom metric costs money for every hour
 * it receives data. A healthy source sends one an hour (events archived, per source); lag,
 * invalid events and every per-stream figure are in the "stream run finished" log line,
 * which the dashboard graphs.
 */
export const METRICS_NAMESPACE = 'OnePasswordEventsArchive';

export const Dimension = {
  /** The source's name (`SOURCE_NAME`). */
  source: 'Source',
  /** The event stream: `signinattempts`, `itemusages` or `auditevents`. */
  stream: 'Stream',
  /** The kind of Events API error, see {@link ApiErrorKind}. */
  errorKind: 'ErrorKind',
} as const;

export const MetricName = {
  /** [Source] Events written to the archive in a run, every stream together (Count, only when > 0). */
  eventsArchived: 'EventsArchived',
  /**
   * [Source] Emitted only when a run ended while the API still had more to give for a stream
   * (deadline or request budget reached): now minus the newest event time archived so far,
   * the largest of those streams (Seconds).
   */
  behindSeconds: 'BehindSeconds',
  /** [Source] The Events API rejected a stream's stored cursor and the stream restarted from a time, dropping events it had already archived (Count, only when > 0). */
  cursorResets: 'CursorResets',
  /** [Source, Stream] HTTP 429 answers from the Events API (Count, only when > 0). */
  throttles: 'Throttles',
  /** [Source, Stream, ErrorKind] Events API errors by kind (Count, only when > 0). */
  apiErrors: 'ApiErrors',
  /** [Source] 401/403 from the Events API or an unusable token (Count, only when > 0). */
  authFailures: 'AuthFailures',
  /**
   * [Source] Seconds since a stream last archived events (or since its first run if it never
   * has), reported by a run that held the stream's lease only once the silence is past what the
   * stream's rhythm (or its fixed window) allows; the longest such silence of the source
   * (Seconds). The drop-off alarm reads its Maximum, which extra data points cannot lower. The
   * "stream silent past its rhythm" log line names the stream.
   */
  secondsSinceArchived: 'SecondsSinceArchived',
  /** [Source] Archive objects the detector read and ran the rules over (Count). */
  detectorObjects: 'DetectorObjectsScanned',
  /** [Source] Findings the detector delivered, each once (Count, only when > 0). */
  findingsDelivered: 'FindingsDelivered',
  /** [] Notifications the detector failed and left for SQS to deliver again (Count, only when > 0). */
  detectorFailures: 'DetectorFailures',
  /** [Source] OCSF records the transformer wrote, each once (Count, only when > 0). */
  ocsfRecordsWritten: 'OcsfRecordsWritten',
  /** [] Notifications the OCSF transformer failed and left for SQS to deliver again (Count, only when > 0). */
  ocsfFailures: 'OcsfFailures',
} as const;

export type ApiErrorKind =
  | 'auth'
  | 'rejected'
  | 'rate_limited'
  | 'server'
  | 'network'
  | 'timeout'
  | 'malformed';
