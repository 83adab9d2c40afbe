/**
 * The detection rules run locally as the detector runs them on new archive objects: the same
 * engine, the same claims per finding id (`FindingClaims`, in the local DynamoDB table) and the
 * same archive sink (`findings/` in the local bucket), so the demo shows what would page someone
 * and how long after the object landed.
 *
 * History is kept in memory: the engine is the same with either store, and dynalite would make
 * the demo's first catch-up (some 16,000 events, a few history writes each) take half a minute.
 * The bench measures the DynamoDB calls the detector makes instead.
 */

import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { RULES } from '../../lambdas/detector/rules';
import { parseBatchKey, streamPrefix } from '../../lambdas/shared/archive/format';
import { deliver, FindingClaims, FindingsArchiveSink } from '../../lambdas/shared/detections/delivery';
import { DetectionEngine } from '../../lambdas/shared/detections/engine';
import { type EventView, viewEvent } from '../../lambdas/shared/detections/event-view';
import type { Finding } from '../../lambdas/shared/detections/finding';
import { type History, MemoryHistory } from '../../lambdas/shared/detections/history';
import { EMPTY_WATCHLISTS } from '../../lambdas/shared/detections/rule';
import type { DetectionSettings } from '../../lambdas/shared/detections/settings';
import { EVENT_TYPES } from '../../lambdas/shared/event-types';
import type { LocalAws } from './aws';

export interface DeliveredFinding {
  readonly finding: Finding;
  /** When the object holding the triggering event reached the archive (its LastModified, epoch ms). */
  readonly objectAt: number;
  /** When the finding was written to the archive's `findings/` prefix (epoch ms). */
  readonly writtenAt: number;
  /** `writtenAt - objectAt`. */
  readonly latencyMs: number;
  readonly delivery: 'sent' | 'already-sent';
}

export const DEFAULT_LOCAL_SETTINGS: DetectionSettings = {
  watchlists: EMPTY_WATCHLISTS,
  rules: {},
  suppressions: [],
};

export class LocalDetector {
  private readonly seen = new Set<string>();
  private readonly engine: DetectionEngine;
  private readonly claims: FindingClaims;
  private readonly sink: FindingsArchiveSink;

  constructor(
    private readonly aws: LocalAws,
    private readonly options: {
      readonly source: string;
      readonly prefix?: string;
      readonly settings?: DetectionSettings;
      readonly history?: History;
    },
  ) {
    this.engine = new DetectionEngine(
      RULES,
      options.settings ?? DEFAULT_LOCAL_SETTINGS,
      options.history ?? new MemoryHistory(),
      options.source,
    );
    this.claims = new FindingClaims(aws.clients.documents, aws.tableName);
    this.sink = new FindingsArchiveSink(aws.clients.s3, aws.bucket, options.prefix ?? '');
  }

  /** The rules that run. */
  get rules(): readonly string[] {
    return this.engine.rules.map((rule) => rule.id);
  }

  /**
   * Reads the batch objects that arrived since the last call, runs the rules over their events
   * in time order, and delivers each finding. Objects of one run are read together, as one
   * batch of notifications would be, so a self-grant (audit events) is seen before the reveals
   * (item usages) it explains.
   */
  async processNew(): Promise<DeliveredFinding[]> {
    const { s3 } = this.aws.clients;
    const events: Array<{ view: EventView; objectAt: number }> = [];
    for (const stream of EVENT_TYPES) {
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: this.aws.bucket,
            Prefix: streamPrefix(this.options.prefix ?? '', this.options.source, stream),
            ContinuationToken: token,
          }),
        );
        for (const object of page.Contents ?? []) {
          const key = object.Key ?? '';
          if (this.seen.has(key) || !parseBatchKey(key)) continue;
          this.seen.add(key);
          const objectAt = object.LastModified?.getTime() ?? Date.now();
          const response = await s3.send(new GetObjectCommand({ Bucket: this.aws.bucket, Key: key }));
          const body = gunzipSync(Buffer.from((await response.Body?.transformToByteArray()) ?? []));
          body
            .toString('utf8')
            .split('\n')
            .forEach((text, index) => {
              if (text === '') return;
              const raw = JSON.parse(text) as Record<string, unknown>;
              const ref = { stream, uuid: String(raw.uuid ?? `${key}:${index + 1}`), key, line: index + 1 };
              events.push({ view: viewEvent(ref, raw), objectAt });
            });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
    events.sort((a, b) => (a.view.time ?? 0) - (b.view.time ?? 0));
    const delivered: DeliveredFinding[] = [];
    for (const { view, objectAt } of events) {
      for (const finding of (await this.engine.evaluate(view)).findings) {
        const outcome = await deliver(finding, this.claims, [this.sink], Date.now());
        const writtenAt = Date.now();
        delivered.push({ finding, objectAt, writtenAt, latencyMs: writtenAt - objectAt, delivery: outcome });
      }
    }
    return delivered;
  }
}
