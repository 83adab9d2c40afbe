import { createHash, type KeyObject } from 'node:crypto';
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { DIGEST_SIGNATURE_ALGORITHM, type DigestSigner, readPublicKey } from '../shared/archive/digest';

/**
 * Signs with the notary's asymmetric KMS key (ECC_NIST_P256). The private key never leaves
 * KMS, and the key policy lets only the notary's role call `kms:Sign`. KMS is sent the
 * SHA-256 of the digest (`MessageType: DIGEST`), so a digest of any size signs in one call,
 * and the signature verifies as ECDSA-SHA256 over the digest's bytes.
 */
export class KmsDigestSigner implements DigestSigner {
  private cachedPublicKey: KeyObject | undefined;

  constructor(
    private readonly client: KMSClient,
    readonly keyId: string,
  ) {}

  async sign(message: Buffer, signal?: AbortSignal): Promise<Buffer> {
    const { Signature } = await this.client.send(
      new SignCommand({
        KeyId: this.keyId,
        Message: createHash('sha256').update(message).digest(),
        MessageType: 'DIGEST',
        SigningAlgorithm: DIGEST_SIGNATURE_ALGORITHM,
      }),
      signal ? { abortSignal: signal } : {},
    );
    if (!Signature) throw new Error(`KMS returned no signature for key ${this.keyId}`);
    return Buffer.from(Signature);
  }

  async publicKey(signal?: AbortSignal): Promise<KeyObject> {
    if (!this.cachedPublicKey) {
      const { PublicKey } = await this.client.send(
        new GetPublicKeyCommand({ KeyId: this.keyId }),
        signal ? { abortSignal: signal } : {},
      );
      if (!PublicKey) throw new Error(`KMS returned no public key for key ${this.keyId}`);
      this.cachedPublicKey = readPublicKey(PublicKey);
    }
    return this.cachedPublicKey;
  }
}
