import { Aws, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { viaServiceFor } from './kms-conditions';

/** The DynamoDB actions a collector uses on its own state items. */
export const STATE_ITEM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

/** The state table as the collectors see it. */
export interface IStateTable {
  /** The DynamoDB table. */
  readonly table: dynamodb.ITable;
  /** The key that encrypts the table. */
  readonly encryptionKey: kms.IKey;

  /**
   * Lets `grantee` read and write the items of one source and no other: every item of a
   * source has a partition key starting with `<source>#`, and the grant carries a
   * `dynamodb:LeadingKeys` condition on that prefix.
   *
   * Actions: `dynamodb:GetItem`, `dynamodb:PutItem`, `dynamodb:UpdateItem` on the table;
   * `kms:Decrypt`, `kms:DescribeKey`, `kms:Encrypt`, `kms:GenerateDataKey` on the table's
   * key, only through DynamoDB.
   */
  grantSourceItems(grantee: iam.IGrantable, sourceName: string): void;
}

/** Attributes of a state table defined elsewhere, for {@link StateTable.fromStateTableAttributes}. */
export interface StateTableAttributes {
  /** ARN of the table. */
  readonly tableArn: string;
  /** The key that encrypts the table. */
  readonly encryptionKey: kms.IKey;
}

/** Properties of a {@link StateTable}. */
export interface StateTableProps {
  /** Customer managed KMS key that encrypts the table. */
  readonly encryptionKey: kms.IKey;
}

/**
 * The collectors' state (cursors, leases, pending batches): a table with a string
 * partition key `pk` and no sort key, billed on demand (a few writes a minute), with
 * point-in-time recovery, deletion protection, a customer managed key, and kept when the
 * stack is deleted: losing a cursor means archiving events twice or not at all.
 */
export class StateTable extends Construct implements IStateTable {
  /** A state table defined in another stack, seen through its attributes. */
  static fromStateTableAttributes(
    scope: Construct,
    id: string,
    attributes: StateTableAttributes,
  ): IStateTable {
    return new ImportedStateTable(scope, id, attributes);
  }

  public readonly table: dynamodb.Table;
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    this.encryptionKey = props.encryptionKey;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  public grantSourceItems(grantee: iam.IGrantable, sourceName: string): void {
    grantSourceItems(this, grantee, sourceName);
  }

  /**
   * Lets the notary read every stream's item (for its chain head) and read and write its own
   * `notary:<source>` items, outside every collector's `<source>#` prefix:
   * `dynamodb:GetItem` on the table; `dynamodb:UpdateItem` only for leading keys `notary:*`;
   * `kms:Decrypt`, `kms:DescribeKey`, `kms:Encrypt`, `kms:GenerateDataKey` through DynamoDB.
   */
  public grantNotaryItems(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem'], resourceArns: [this.table.tableArn] });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:UpdateItem'],
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['notary:*'] } },
    });
    grantTableKey(this, grantee);
  }
}

class ImportedStateTable extends Construct implements IStateTable {
  public readonly table: dynamodb.ITable;
  public readonly encryptionKey: kms.IKey;

  constructor(scope: Construct, id: string, attributes: StateTableAttributes) {
    super(scope, id);
    this.encryptionKey = attributes.encryptionKey;
    this.table = dynamodb.Table.fromTableAttributes(this, 'Table', {
      tableArn: attributes.tableArn,
      encryptionKey: attributes.encryptionKey,
    });
  }

  public grantSourceItems(grantee: iam.IGrantable, sourceName: string): void {
    grantSourceItems(this, grantee, sourceName);
  }
}

function grantSourceItems(state: IStateTable, grantee: iam.IGrantable, sourceName: string): void {
  iam.Grant.addToPrincipal({
    grantee,
    actions: [...STATE_ITEM_ACTIONS],
    resourceArns: [state.table.tableArn],
    conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${sourceName}#*`] } },
  });
  grantTableKey(state, grantee);
}

function grantTableKey(state: IStateTable, grantee: iam.IGrantable): void {
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
    resourceArns: [state.encryptionKey.keyArn],
    conditions: viaServiceFor('dynamodb', 'aws:dynamodb:tableName', [state.table.tableName]),
  });
  // DescribeKey carries no encryption context.
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['kms:DescribeKey'],
    resourceArns: [state.encryptionKey.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.amazonaws.com` } },
  });
}
