import { ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';

/**
 * An S3 client for s3rver that refuses `PutObject` with `If-None-Match: *` on an existing
 * key, as real S3 does and s3rver does not. Tests run the protocol against both: plain
 * s3rver shows exactly-once does not rest on the precondition; this one shows the
 * collector never tries to replace an object.
 */
export function strictS3Client(endpoint: string): { client: S3Client; refusals: string[] } {
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const refusals: string[] = [];
  // S3 decides the precondition and the write as one step: writes of a key through this client wait for each other.
  const writing = new Map<string, Promise<unknown>>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Bucket?: string; Key?: string; IfNoneMatch?: string };
      if (context.commandName === 'PutObjectCommand' && input.IfNoneMatch === '*' && input.Key) {
        const key = `${input.Bucket}/${input.Key}`;
        const before = writing.get(key) ?? Promise.resolve();
        const attempt = before.catch(() => undefined).then(() => conditionalPut(input.Key as string));
        writing.set(key, attempt);
        return attempt;
      }
      return next(args);

      async function conditionalPut(objectKey: string) {
        const listing = await client.send(
          new ListObjectsV2Command({ Bucket: input.Bucket, Prefix: objectKey, MaxKeys: 1 }),
        );
        if (listing.Contents?.[0]?.Key === objectKey) {
          refusals.push(objectKey);
          throw s3Error(
            412,
            'PreconditionFailed',
            'At least one of the pre-conditions you specified did not hold',
          );
        }
        return next(args);
      }
    },
    { step: 'initialize', name: 'strictIfNoneMatch' },
  );
  return { client, refusals };
}

/** An error as the SDK raises it for an S3 error response. */
export function s3Error(status: number, name: string, message: string): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message });
}
