import type { NotaryDependencies } from '../../lambdas/notary/notary';
import { NotaryStateStore } from '../../lambdas/notary/notary-state';
import type { DigestSigner } from '../../lambdas/shared/archive/digest';
import type { Log } from '../../lambdas/shared/observability';
import { StateStore } from '../../lambdas/shared/state-store';
import type { LocalAws } from './aws';

/** The notary's collaborators on the local servers, signing with `signer` (a local stand-in for its KMS key). */
export function localNotaryDependencies(
  aws: LocalAws,
  options: { sources: readonly string[]; signer: DigestSigner; log: Log } & Partial<NotaryDependencies>,
): NotaryDependencies {
  return {
    s3: aws.clients.s3,
    bucket: aws.bucket,
    prefix: '',
    streams: new StateStore(aws.clients.documents, aws.tableName),
    notaryState: new NotaryStateStore(aws.clients.documents, aws.tableName),
    ...options,
  };
}
