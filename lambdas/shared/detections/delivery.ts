/**
 * Where findings go, and how each is delivered once although the objects that cause them may
 * be read more than once (SQS and EventBridge deliver at least once): a claim per finding id
 * in DynamoDB, taken before the sinks are called and marked sent after; a claim left by a
 * run that died is taken over once it is stale, so a finding is never lost either.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isPreconditionFailed } from '../archive/writer';
import { describePerson, FINDING_DETAIL_TYPE, FINDING_EVENT_SOURCE, type Finding } from './finding';
import { type Names, NO_NAMES } from './names';

export interface FindingSink {
  readonly name: string;
  send(finding: Finding): Promise<void>;
}

/** `{prefix}findings/source={source}/dt={day of the finding}/{id}.json`, written once: alerts are evidence too. */
export function findingKey(prefix: string, finding: Finding): string {
  return `${prefix}findings/source=${finding.source}/dt=${finding.time.slice(0, 10)}/${finding.id}.json`;
}

export class FindingsArchiveSink implements FindingSink {
  readonly name = 'archive';
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  async send(finding: Finding): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: findingKey(this.prefix, finding),
          Body: `${JSON.stringify(finding, null, 2)}\n`,
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
    } catch (error) {
      // Written by an earlier delivery: the id, hence the content, is the same.
      if (!isPreconditionFailed(error)) throw error;
    }
  }
}

export class EventBridgeSink implements FindingSink {
  readonly name = 'eventbridge';
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName = 'default',
  ) {}

  async send(finding: Finding): Promise<void> {
    const result = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.eventBusName,
            Source: FINDING_EVENT_SOURCE,
            DetailType: FINDING_DETAIL_TYPE,
            Time: new Date(finding.time),
            Detail: JSON.stringify(finding),
          },
        ],
      }),
    );
    if ((result.FailedEntryCount ?? 0) > 0) {
      const entry = result.Entries?.[0];
      throw new Error(
        `EventBridge refused finding ${finding.id}: ${entry?.ErrorCode ?? '?'} ${entry?.ErrorMessage ?? ''}`.trim(),
      );
    }
  }
}

export class SnsSink implements FindingSink {
  readonly name = 'sns';
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
    /** Vault and item names for the message (the lookups); uuids are shown without them. */
    private readonly names: () => Names | Promise<Names> = () => NO_NAMES,
  ) {}

  async send(finding: Finding): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        // SNS takes subjects up to 100 characters.
        Subject: `[${finding.severity}] ${finding.title} (${finding.source})`.slice(0, 100),
        Message: findingMessage(finding, await this.names()),
      }),
    );
  }
}

/** The text on-call reads: what happened, who, from where, the severity and what to do. */
export function findingMessage(finding: Finding, names: Names = NO_NAMES): string {
  const named = (uuid: string, name: string | undefined) => (name ? `${name} (${uuid})` : uuid);
  const lines = [
    `${finding.severity}: ${finding.title}`,
    '',
    finding.summary,
    '',
    `Source:      ${finding.source}`,
    `When:        ${finding.time}`,
    `Who:         ${describePerson(finding.person)}`,
    ...(finding.ip ? [`From:        ${finding.ip}${finding.country ? ` (${finding.country})` : ''}`] : []),
    ...(finding.vaultUuid
      ? [`Vault:       ${named(finding.vaultUuid, names.vault(finding.vaultUuid))}`]
      : []),
    ...(finding.itemUuid ? [`Item:        ${named(finding.itemUuid, names.item(finding.itemUuid))}`] : []),
    `Rule:        ${finding.ruleId} (MITRE ATT&CK ${finding.mitre.technique}, ${finding.mitre.name})`,
    '',
    `What to do: ${finding.runbook}`,
    '',
    'Evidence (archive key, line):',
    ...finding.events.map((ref) => `  ${ref.key} line ${ref.line} (${ref.stream} ${ref.uuid})`),
    '',
    `Finding ${finding.id}`,
  ];
  return lines.join('\n');
}

export type ClaimOutcome =
  /** Ours to send; `sentTo` names the sinks an earlier delivery that died already reached. */
  | { readonly state: 'claimed'; readonly sentTo: ReadonlySet<string> }
  | { readonly state: 'sent' }
  | { readonly state: 'in-flight' };

/** Claims on finding ids, `pk` = `finding#<id>`, in the detector's table. */
export class FindingClaims {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** A claim older than this, never marked sent, belongs to a run that died. */
    private readonly staleMs = 5 * 60_000,
  ) {}

  async claim(id: string, now: number, ttlSeconds: number): Promise<ClaimOutcome> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `finding#${id}` },
          UpdateExpression: 'SET #state = :sending, claimedAt = :now, expiresAt = :ttl',
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :sending AND claimedAt < :stale)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':sending': 'sending',
            ':now': now,
            ':stale': now - this.staleMs,
            ':ttl': ttlSeconds,
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const sentTo = Attributes?.sentTo as Set<string> | undefined;
      return { state: 'claimed', sentTo: new Set(sentTo ?? []) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: `finding#${id}` }, ConsistentRead: true }),
    );
    return Item?.state === 'sent' ? { state: 'sent' } : { state: 'in-flight' };
  }

  /** Records that `sink` has the finding, so a delivery taking over a stale claim skips it. */
  async markSinkSent(id: string, sink: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `finding#${id}` },
        UpdateExpression: 'ADD sentTo :sink',
        ExpressionAttributeValues: { ':sink': new Set([sink]) },
      }),
    );
  }

  async markSent(id: string, now: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `finding#${id}` },
        UpdateExpression: 'SET #state = :sent, sentAt = :now',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':sent': 'sent', ':now': now },
      }),
    );
  }
}

/** Another delivery of the same finding is under way: the caller lets the message come back later. */
export class FindingInFlight extends Error {
  override readonly name = 'FindingInFlight';
}

/** How long a claim is kept: long after any redelivery could come. */
const CLAIM_TTL_SECONDS = 30 * 86_400;

/**
 * Sends a finding to every sink once: claims it, sends to each sink and records that it did,
 * marks it sent. A finding already sent is skipped; one claimed by a delivery still in flight
 * throws {@link FindingInFlight}. A delivery that takes over the claim of one that died (a
 * sink failed, the function timed out) sends only to the sinks not reached yet, so a failing
 * sink never pages twice through the others.
 */
export async function deliver(
  finding: Finding,
  claims: FindingClaims,
  sinks: readonly FindingSink[],
  now: number,
): Promise<'sent' | 'already-sent'> {
  const outcome = await claims.claim(finding.id, now, Math.ceil(now / 1000) + CLAIM_TTL_SECONDS);
  if (outcome.state === 'sent') return 'already-sent';
  if (outcome.state === 'in-flight')
    throw new FindingInFlight(`finding ${finding.id} is being delivered by another run`);
  // The archive first: the evidence is there before anyone is paged about it.
  for (const sink of sinks) {
    if (outcome.sentTo.has(sink.name)) continue;
    await sink.send(finding);
    await claims.markSinkSent(finding.id, sink.name);
  }
  await claims.markSent(finding.id, now);
  return 'sent';
}
