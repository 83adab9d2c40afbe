/**
 * The collector's CloudWatch metric contract, shared by the runtime (which emits the
 * metrics as EMF) and the CDK app (which alarms on them and graphs them).
 *
 * Counters are emitted only when non-zero: a custom metric costs money for every hour
 * it receives data, and "no data" is exactly what the drop-off alarm looks for.
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
  /** [Source, Stream] Events written to the archive in a run (Count, only when > 0). */
  eventsArchived: 'EventsArchived',
  /** [Source, Stream] Archive objects written in a run (Count, only when > 0). */
  objectsWritten: 'ObjectsWritten',
  /** [Source, Stream] Events API pages fetched in a run that archived events (Count). */
  pagesFetched: 'PagesFetched',
  /** [Source, Stream] Events archived although they failed the event schema (Count, only when > 0). */
  invalidEvents: 'InvalidEvents',
  /** [Source, Stream] Now minus the newest archived event time, in runs that archived events (Seconds). */
  lagSeconds: 'LagSeconds',
  /**
   * [Source, Stream] Emitted only when a run ended while the API still had more to give
   * (deadline or request budget reached): now minus the newest event time archived so far (Seconds).
   */
  behindSeconds: 'BehindSeconds',
  /** [Source, Stream] The Events API rejected the stream's stored cursor and the stream restarted from a time, dropping events it had already archived (Count, only when > 0). */
  cursorResets: 'CursorResets',
  /** [Source, Stream] HTTP 429 answers from the Events API (Count, only when > 0). */
  throttles: 'Throttles',
  /** [Source, Stream, ErrorKind] Events API errors by kind (Count, only when > 0). */
  apiErrors: 'ApiErrors',
  /** [Source] 401/403 from the Events API or an unusable token (Count, only when > 0). */
  authFailures: 'AuthFailures',
  /**
   * [Source, Stream] Seconds since the stream last archived events, or since its first run if
   * it never has; reported by a run that held the stream's lease only once it is past the
   * stream's drop-off window (Seconds). The drop-off alarm reads its Maximum, which extra data
   * points cannot lower.
   */
  secondsSinceArchived: 'SecondsSinceArchived',
  /** [Source] Archive objects the detector read and ran the rules over (Count). */
  detectorObjects: 'DetectorObjectsScanned',
  /** [Source] Findings the detector delivered, each once (Count, only when > 0). */
  findingsDelivered: 'FindingsDelivered',
  /** [] Notifications the detector failed and left for SQS to deliver again (Count, only when > 0). */
  detectorFailures: 'DetectorFailures',
} as const;

export type ApiErrorKind =
  | 'auth'
  | 'rejected'
  | 'rate_limited'
  | 'server'
  | 'network'
  | 'timeout'
  | 'malformed';
