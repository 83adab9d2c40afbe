/**
 * The detector against the protocol: objects and lookups in s3rver (findings written with
 * If-None-Match decided as S3 does), history and finding claims in dynalite, EventBridge and
 * SNS stubbed (no local server). Objects are crafted here with the collector's metadata.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { type LocalAws, startLocalAws } from '../../dev/local/aws';
import { ensureStateTable } from '../../dev/local/state-table';
import { type DetectorDependencies, detectBatch } from '../../lambdas/detector/detector';
import { parseDetectionSettings, parseDetectorEnv } from '../../lambdas/detector/env';
import { RULES } from '../../lambdas/detector/rules';
import { batchObject, notifiedObjects } from '../../lambdas/shared/archive/consumer';
import { batchKey } from '../../lambdas/shared/archive/format';
import {
  EventBridgeSink,
  FindingClaims,
  FindingsArchiveSink,
  SnsSink,
} from '../../lambdas/shared/detections/delivery';
import { DynamoHistory } from '../../lambdas/shared/detections/history';
import { S3Names } from '../../lambdas/shared/detections/names';
import type { EventType } from '../../lambdas/shared/event-types';
import { objectCreatedRecord, putBatchObject } from '../support/archive-objects';
import { MemoryLog } from '../support/environment';
import { strictS3Client } from '../support/strict-s3';

const eventBridge = mockClient(EventBridgeClient);
const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:op-events-findings';
const TABLE = 'op-events-detector';
const T0 = Date.UTC(2026, 10, 28, 9);
const ALICE = { uuid: 'ALICEUUID00000000000000000A', name: 'Alice Admin', email: 'alice@example.com' };
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describe('the detector', () => {
  let aws: LocalAws;
  let s3: S3Client;
  let log: MemoryLog;

  beforeEach(async () => {
    aws = await startLocalAws();
    await ensureStateTable(aws.clients.dynamodb, TABLE);
    s3 = strictS3Client(aws.s3.endpoint).client;
    log = new MemoryLog();
    eventBridge.reset();
    sns.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
  });
  afterEach(() => aws.close());
  afterAll(() => {
    eventBridge.restore();
    sns.restore();
  });

  const deps = (): DetectorDependencies => ({
    s3,
    bucket: aws.bucket,
    prefix: '',
    rules: RULES,
    settings: parseDetectionSettings(undefined),
    history: new DynamoHistory(aws.clients.documents, TABLE),
    claims: new FindingClaims(aws.clients.documents, TABLE),
    sinks: [
      new FindingsArchiveSink(s3, aws.bucket, ''),
      new EventBridgeSink(new EventBridgeClient({ region: 'eu-west-1' })),
      new SnsSink(new SNSClient({ region: 'eu-west-1' }), TOPIC, () =>
        new S3Names(s3, aws.bucket, '', (error) => {
          throw error;
        }).current(Date.now()),
      ),
    ],
    log,
  });

  const put = (stream: EventType, seq: number, events: object[], options: { corrupt?: boolean } = {}) =>
    putBatchObject(aws.clients.s3, aws.bucket, stream, seq, events, options);
  const record = (key: string, messageId = key): SQSRecord => objectCreatedRecord(aws.bucket, key, messageId);

  /** An administrator grants herself a vault and changes the firewall; half an hour later she reveals its root key. */
  const attack = async () => {
    const grant = await put('auditevents', 1, [
      {
        uuid: 'GRANT1',
        timestamp: at(0),
        actor_uuid: ALICE.uuid,
        actor_details: ALICE,
        action: 'grant',
        object_type: 'uva',
        object_uuid: 'vault-secret',
        aux_uuid: ALICE.uuid,
        session: { uuid: 'S', login_time: at(-60), device_uuid: 'D', ip: '203.0.113.9' },
      },
    ]);
    const reveal = await put('itemusages', 1, [
      {
        uuid: 'REVEAL1',
        timestamp: at(30),
        used_version: 1,
        vault_uuid: 'vault-secret',
        item_uuid: 'root-key',
        action: 'reveal',
        user: ALICE,
        client: { app_name: '1Password for Mac', ip_address: '203.0.113.9' },
      },
    ]);
    await aws.clients.s3.send(
      new PutObjectCommand({
        Bucket: aws.bucket,
        Key: 'lookups/vaults/vaults.csv',
        Body: 'vault_uuid,name\nVAULT-SECRET,"Production, root keys"\n',
      }),
    );
    return { grant, reveal };
  };

  const findingKeys = async () =>
    (
      (await aws.clients.s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: 'findings/' })))
        .Contents ?? []
    ).map((object) => object.Key);

  it('raises the findings of an attack story and delivers each once: archive, EventBridge, SNS with names', async () => {
    const { grant, reveal } = await attack();
    const response = await detectBatch([record(grant), record(reveal)], deps());

    expect(response.batchItemFailures).toEqual([]);
    const rules = eventBridge
      .commandCalls(PutEventsCommand)
      .map((call) => JSON.parse(call.args[0].input.Entries?.[0]?.Detail ?? '{}').ruleId);
    expect(rules.sort()).toEqual(['admin-self-grant', 'self-grant-then-access']);
    expect(await findingKeys()).toHaveLength(2);
    const critical = sns
      .commandCalls(PublishCommand)
      .map((call) => call.args[0].input)
      .find((input) => input.Subject?.startsWith('[CRITICAL]'));
    expect(critical?.Message).toMatch(/Who: +Alice Admin <alice@example.com>/);
    expect(critical?.Message).toMatch(/From: +203\.0\.113\.9/);
    expect(critical?.Message).toContain('Vault:       Production, root keys (vault-secret)');
    expect(critical?.Message).toContain(`${reveal} line 1`);
  });

  it('sends no second alert when the same message is delivered twice', async () => {
    const { grant, reveal } = await attack();
    await detectBatch([record(grant), record(reveal)], deps());
    const again = await detectBatch([record(grant), record(reveal)], deps());

    expect(again.batchItemFailures).toEqual([]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(2);
    expect(await findingKeys()).toHaveLength(2);
  });

  it('fails only the record of a corrupt object, and still scans the others of the batch', async () => {
    const { grant } = await attack();
    const corrupt = await put('signinattempts', 1, [{ uuid: 'S1', timestamp: at(1) }], { corrupt: true });
    const response = await detectBatch([record(corrupt, 'bad'), record(grant, 'good')], deps());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(log.text()).toMatch(/the body hashes to [0-9a-f]{64}, its body-sha256 metadata says/);
  });

  it('leaves for SQS to redeliver the records it has no time left to start', async () => {
    const { grant, reveal } = await attack();
    const response = await detectBatch(
      [record(grant, 'first'), record(reveal, 'second')],
      deps(),
      Date.now() + 30_000,
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'first' }, { itemIdentifier: 'second' }]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('ignores digests, findings, lookups and other buckets, and reads backfills', async () => {
    expect(batchObject('', 'digests/source=acme/000000000001.json')).toBeUndefined();
    expect(batchObject('', 'findings/source=acme/dt=2026-11-28/abc.json')).toBeUndefined();
    expect(batchObject('', 'lookups/vaults/vaults.csv')).toBeUndefined();
    expect(batchObject('p/', batchKey('', 'acme', 'auditevents', '2026-11-28', 1))).toBeUndefined();
    expect(
      batchObject(
        'p/',
        `p/backfill/2026-11-01_2026-11-02/${batchKey('', 'acme', 'itemusages', '2026-11-28', 3)}`,
      ),
    ).toEqual({ source: 'acme', stream: 'itemusages' });
    const other = JSON.stringify({
      detail: { bucket: { name: 'elsewhere' }, object: { key: 'source=acme/x' } },
    });
    const response = await detectBatch([{ ...record('x'), body: other }], deps());
    expect(response.batchItemFailures).toEqual([]);
    // S3's own notification format, URL-encoded.
    expect(
      notifiedObjects(
        JSON.stringify({
          Records: [{ s3: { bucket: { name: 'b' }, object: { key: 'source%3Dacme/a+b' } } }],
        }),
      ),
    ).toEqual([{ bucket: 'b', key: 'source=acme/a b' }]);
  });

  it('refuses settings with a wrong field, naming it', () => {
    const env = { DETECTOR_TABLE: TABLE, ARCHIVE_BUCKET: 'archive' };
    expect(() =>
      parseDetectorEnv({ ...env, DETECTION_SETTINGS: '{"watchlists":{"deniedCountries":["Atlantis"]}}' }),
    ).toThrow(/DETECTION_SETTINGS\.watchlists\.deniedCountries: "Atlantis" is not a country/);
    expect(() =>
      parseDetectorEnv({ ...env, DETECTION_SETTINGS: '{"rules":{"excessive-reveals":{"cuont":5}}}' }),
    ).toThrow(
      /DETECTION_SETTINGS\.rules\.excessive-reveals\.cuont: rule excessive-reveals has no tunable "cuont"/,
    );
    expect(() => parseDetectorEnv({ ...env, DETECTION_SETTINGS: '{not json' })).toThrow(
      /DETECTION_SETTINGS is not JSON/,
    );
    expect(() => parseDetectorEnv({ ARCHIVE_BUCKET: 'archive' })).toThrow(/DETECTOR_TABLE/);
    expect(parseDetectorEnv(env).settings.watchlists.deniedCountries).toEqual([]);
  });
});
