import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { LocalAws } from '../../dev/local/aws';
import { countByOperation, type ProxiedCall } from './counting-proxy';
import { consistentReadUnits, itemSize, writeUnits } from './dynamo-size';

/** The AWS calls of a stretch of runs, as counted on the wire, with what they bill. */
export interface AwsUsage {
  readonly dynamodb: Record<string, number>;
  readonly dynamodbWriteUnits: number;
  readonly dynamodbReadUnits: number;
  /** Largest state item seen (bytes), for the record. */
  readonly stateItemBytes: number;
  readonly s3: Record<string, number>;
  /** Bytes of object bodies written (gzip). */
  readonly s3PutBytes: number;
  readonly secretReads: number;
}

export interface CallMarks {
  readonly dynamodb: number;
  readonly s3: number;
  readonly secrets: number;
}

export function markCalls(proxies: {
  dynamodb: { calls: ProxiedCall[] };
  s3: { calls: ProxiedCall[] };
  secrets: { calls: ProxiedCall[] };
}): CallMarks {
  return {
    dynamodb: proxies.dynamodb.calls.length,
    s3: proxies.s3.calls.length,
    secrets: proxies.secrets.calls.length,
  };
}

/**
 * Sums the calls made between two marks. DynamoDB units come from the state items' sizes:
 * every write is billed on the larger of the item before and after it, so the writes that
 * carry or clear a pending batch intent are counted with the intent inside the item.
 */
export async function usageBetween(
  aws: LocalAws,
  proxies: {
    dynamodb: { calls: ProxiedCall[] };
    s3: { calls: ProxiedCall[] };
    secrets: { calls: ProxiedCall[] };
  },
  from: CallMarks,
  to: CallMarks,
): Promise<AwsUsage> {
  const dynamoCalls = proxies.dynamodb.calls.slice(from.dynamodb, to.dynamodb);
  const s3Calls = proxies.s3.calls.slice(from.s3, to.s3);
  const secretCalls = proxies.secrets.calls.slice(from.secrets, to.secrets);

  const { Items = [] } = await aws.clients.dynamodb.send(new ScanCommand({ TableName: aws.tableName }));
  const baseSize = new Map<string, number>();
  for (const item of Items) {
    const { pending: _pending, ...rest } = item;
    baseSize.set(item.pk?.S ?? '', itemSize(rest));
  }
  const intentSize = new Map<string, number>();
  let writeUnitsTotal = 0;
  let readUnitsTotal = 0;
  let largest = 0;
  for (const call of dynamoCalls) {
    const body = parseBody(call);
    const pk = body.Key?.pk?.S ?? '';
    const base = baseSize.get(pk) ?? 0;
    const values = body.ExpressionAttributeValues ?? {};
    const intent = values[':intent'];
    if (intent?.M) intentSize.set(pk, 3 + itemSize(intent.M));
    if (call.operation === 'UpdateItem' || call.operation === 'PutItem') {
      const carriesIntent = intent !== undefined || values[':events'] !== undefined;
      const size = base + (carriesIntent ? 'pending'.length + (intentSize.get(pk) ?? 0) : 0);
      largest = Math.max(largest, size);
      writeUnitsTotal += writeUnits(size);
    } else if (call.operation === 'GetItem') {
      readUnitsTotal += consistentReadUnits(base);
    }
  }
  return {
    dynamodb: countByOperation(dynamoCalls),
    dynamodbWriteUnits: writeUnitsTotal,
    dynamodbReadUnits: readUnitsTotal,
    stateItemBytes: largest,
    s3: countByOperation(s3Calls),
    s3PutBytes: s3Calls.filter((c) => c.operation === 'PutObject').reduce((n, c) => n + c.requestBytes, 0),
    secretReads: secretCalls.filter((c) => c.operation === 'GetSecretValue').length,
  };
}

interface DynamoRequest {
  Key?: Record<string, AttributeValue>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
}

function parseBody(call: ProxiedCall): DynamoRequest {
  try {
    return JSON.parse(call.body ?? '{}') as DynamoRequest;
  } catch {
    return {};
  }
}
