import { Aws } from 'aws-cdk-lib';

/**
 * Conditions for a grant on a KMS key that is used through one AWS service for one resource:
 * `kms:ViaService` names the service, and the encryption context the service always sends
 * names the resource, so the grant cannot be used for another bucket, table, secret or queue
 * the same key may encrypt.
 */
export function viaServiceFor(
  service: 's3' | 'dynamodb' | 'secretsmanager' | 'sqs',
  contextKey: string,
  values: readonly string[],
): Record<string, Record<string, unknown>> {
  return {
    StringEquals: { 'kms:ViaService': `${service}.${Aws.REGION}.amazonaws.com` },
    StringLike: { [`kms:EncryptionContext:${contextKey}`]: values.length === 1 ? values[0] : [...values] },
  };
}

/**
 * S3 with a bucket key sends the bucket's ARN as the encryption context (an object's ARN
 * without one): either, for the objects under `prefix`.
 */
export function viaS3For(bucketArn: string, prefix = ''): Record<string, Record<string, unknown>> {
  return viaServiceFor('s3', 'aws:s3:arn', [bucketArn, `${bucketArn}/${prefix}*`]);
}
