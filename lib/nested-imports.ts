import { CfnParameter, type NestedStack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ArchiveBucket, type IArchiveBucket } from './archive-bucket';

/**
 * What a nested stack takes from its parent, as parameters: each value is set by the parent
 * and read in the nested stack as a `CfnParameter`, so that the nested template refers to the
 * parent's resources without cross-stack exports.
 */
export class ParentValues {
  constructor(private readonly stack: NestedStack) {}

  /** The parent's `value`, as the nested stack's parameter `name`. */
  param(name: string, value: string): string {
    this.stack.setParameter(name, value);
    return new CfnParameter(this.stack, name, { type: 'String' }).valueAsString;
  }

  /** The deployment key, as `ArchiveKey`. */
  archiveKey(archive: IArchiveBucket): kms.IKey {
    return kms.Key.fromKeyArn(
      this.stack,
      'ArchiveKey',
      this.param('ArchiveKeyArn', archive.encryptionKey.keyArn),
    );
  }

  /** The archive bucket, with its key and prefix. */
  archive(archive: IArchiveBucket, encryptionKey: kms.IKey): IArchiveBucket {
    return ArchiveBucket.fromArchiveAttributes(this.stack, 'Archive', {
      bucketArn: this.param('ArchiveBucketArn', archive.bucket.bucketArn),
      bucketName: this.param('ArchiveBucketName', archive.bucket.bucketName),
      encryptionKey,
      prefix: archive.prefix,
    });
  }

  /** The operations alarm topic. */
  alarmTopic(topic: sns.ITopic): sns.ITopic {
    return sns.Topic.fromTopicArn(this.stack, 'AlarmTopic', this.param('AlarmTopicArn', topic.topicArn));
  }
}
