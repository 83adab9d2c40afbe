/**
 * Delivery of findings once, whatever the number of times an object is read: claims in
 * dynalite, the findings prefix in s3rver (If-None-Match decided as S3 does), EventBridge and
 * SNS stubbed (no local server).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { type LocalAws, startLocalAws } from '../../dev/local/aws';
import {
  deliver,
  EventBridgeSink,
  FindingClaims,
  FindingInFlight,
  type FindingSink,
  FindingsArchiveSink,
  findingKey,
  SnsSink,
} from '../../lambdas/shared/detections/delivery';
import type { Finding } from '../../lambdas/shared/detections/finding';
import { strictS3Client } from '../support/strict-s3';
import { ALICE, audit, run } from './support';

const eventBridge = mockClient(EventBridgeClient);
const sns = mockClient(SNSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:op-events-findings';

describe('delivering findings once', () => {
  let aws: LocalAws;
  let s3: S3Client;
  let finding: Finding;
  beforeAll(async () => {
    aws = await startLocalAws();
    s3 = strictS3Client(aws.s3.endpoint).client;
    [finding] = (await run([
      audit(0, ALICE, { action: 'updatfw', object_type: 'account', uuid: 'FW1' }),
    ])) as [Finding];
  });
  afterAll(async () => {
    eventBridge.restore();
    sns.restore();
    await aws.close();
  });
  beforeEach(() => {
    eventBridge.reset();
    sns.reset();
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
  });

  const sinks = (): FindingSink[] => [
    new FindingsArchiveSink(s3, aws.bucket, ''),
    new EventBridgeSink(new EventBridgeClient({ region: 'eu-west-1' })),
    new SnsSink(new SNSClient({ region: 'eu-west-1' }), TOPIC),
  ];

  it('writes the finding to the archive, puts it on EventBridge and pages once, however often it is delivered', async () => {
    const claims = new FindingClaims(aws.clients.documents, aws.tableName);
    const now = Date.UTC(2026, 10, 28, 10);
    expect(await deliver(finding, claims, sinks(), now)).toBe('sent');
    expect(await deliver(finding, claims, sinks(), now + 1000)).toBe('already-sent');

    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).toMatchObject({
      Source: 'op-events-archive.detector',
      DetailType: '1Password Events Archive Finding',
    });
    const [publish] = sns.commandCalls(PublishCommand);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(publish?.args[0].input.Subject).toBe('[MEDIUM] Sign-in firewall rules changed (acme)');
    expect(publish?.args[0].input.Message).toMatch(/Who: +Alice Admin <alice@example.com>/);
    expect(publish?.args[0].input.Message).toMatch(/What to do: Confirm with the administrator named/);
    expect(publish?.args[0].input.Message).toContain('line');

    const stored = await s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: findingKey('', finding) }));
    expect(JSON.parse((await stored.Body?.transformToString()) ?? '{}')).toMatchObject({
      id: finding.id,
      ruleId: 'firewall-rules-changed',
    });
  });

  it('does not lose a finding whose delivery died half way, nor send it twice where it got: a stale claim is taken over', async () => {
    const claims = new FindingClaims(aws.clients.documents, aws.tableName, 60_000);
    const [other] = (await run([
      audit(0, ALICE, { action: 'updatfw', object_type: 'account', uuid: 'FW2' }),
    ])) as [Finding];
    const now = Date.UTC(2026, 10, 28, 11);
    sns.on(PublishCommand).rejects(new Error('SNS unavailable'));
    await expect(deliver(other, claims, sinks(), now)).rejects.toThrow('SNS unavailable');
    // Redelivered at once: another delivery may still be running.
    await expect(deliver(other, claims, sinks(), now + 1000)).rejects.toThrow(FindingInFlight);

    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    expect(await deliver(other, claims, sinks(), now + 120_000)).toBe('sent');
    // The archive and EventBridge had it from the first attempt and do not get it again.
    expect(sns.commandCalls(PublishCommand)).toHaveLength(2);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('says which entry EventBridge refused', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }],
    });
    const sink = new EventBridgeSink(new EventBridgeClient({ region: 'eu-west-1' }));
    await expect(sink.send(finding)).rejects.toThrow(
      `EventBridge refused finding ${finding.id}: ThrottlingException slow down`,
    );
  });
});
