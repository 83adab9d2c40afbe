import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { KmsDigestSigner } from '../../lambdas/notary/kms-signer';
import {
  type Digest,
  digestKey,
  LocalDigestSigner,
  parseDigest,
  parseDigestKey,
  publicKeyFingerprint,
  publicKeyPem,
  readPublicKey,
  serializeDigest,
  verifyDigestSignature,
} from '../../lambdas/shared/archive/digest';

const DIGEST: Digest = {
  formatVersion: 1,
  source: 'prod',
  number: 2,
  digestStartTime: '2026-11-28T10:00:00.000Z',
  digestEndTime: '2026-11-28T11:00:00.000Z',
  previousDigestKey: 'digests/source=prod/000000000001.json',
  previousDigestSignature: 'MEUCIQ==',
  signingKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/k',
  signatureAlgorithm: 'ECDSA_SHA_256',
  streams: [
    {
      stream: 'auditevents',
      head: {
        seq: 7,
        key: 'source=prod/type=auditevents/dt=2026-11-28/000000000007.ndjson.gz',
        sha256: 'a'.repeat(64),
      },
      objects: [
        {
          seq: 7,
          key: 'source=prod/type=auditevents/dt=2026-11-28/000000000007.ndjson.gz',
          sha256: 'a'.repeat(64),
        },
      ],
    },
  ],
};

describe('digest format', () => {
  it('numbers digests in their keys, under a prefix of their own', () => {
    expect(digestKey('1password/', 'prod', 12)).toBe('1password/digests/source=prod/000000000012.json');
    expect(parseDigestKey('1password/digests/source=prod/000000000012.json')).toEqual({
      prefix: '1password/',
      source: 'prod',
      number: 12,
    });
    expect(parseDigestKey('digests/source=prod/12.json')).toBeUndefined();
    expect(
      parseDigestKey('source=prod/type=auditevents/dt=2026-11-28/000000000001.ndjson.gz'),
    ).toBeUndefined();
  });

  it('reads back what it writes, and names what is wrong with anything else', () => {
    expect(parseDigest(serializeDigest(DIGEST))).toEqual(DIGEST);
    expect(() => parseDigest(Buffer.from('{'))).toThrow(/not JSON/);
    expect(() => parseDigest(Buffer.from(JSON.stringify({ ...DIGEST, formatVersion: 2 })))).toThrow(
      /not a digest of format 1: formatVersion/,
    );
    const badHash = structuredClone(DIGEST) as { streams: Array<{ objects: Array<{ sha256: string }> }> };
    (badHash.streams[0]?.objects[0] as { sha256: string }).sha256 = 'XYZ';
    expect(() => parseDigest(Buffer.from(JSON.stringify(badHash)))).toThrow(/streams\.0\.objects\.0\.sha256/);
    expect(() => parseDigest(Buffer.from(JSON.stringify({ ...DIGEST, extra: 1 })))).toThrow(/not a digest/);
  });

  it('verifies a signature over the exact bytes only, with the right key only', async () => {
    const signer = LocalDigestSigner.generate('local');
    const body = serializeDigest(DIGEST);
    const signature = await signer.sign(body);
    const key = await signer.publicKey();
    expect(verifyDigestSignature(body, signature, key)).toBe(true);
    expect(verifyDigestSignature(Buffer.concat([body, Buffer.from(' ')]), signature, key)).toBe(false);
    expect(
      verifyDigestSignature(body, signature, await LocalDigestSigner.generate('other').publicKey()),
    ).toBe(false);
    expect(verifyDigestSignature(body, Buffer.from('not DER'), key)).toBe(false);
    // PEM round trip, as `public-key` exports it and `verify --public-key` reads it.
    const pem = publicKeyPem(key);
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(verifyDigestSignature(body, signature, readPublicKey(pem))).toBe(true);
    expect(publicKeyFingerprint(readPublicKey(pem))).toBe(publicKeyFingerprint(key));
  });
});

describe('KmsDigestSigner', () => {
  const kms = mockClient(KMSClient);
  afterEach(() => kms.reset());
  afterAll(() => kms.restore());

  it('sends KMS the SHA-256 of the digest, and its signature verifies over the digest bytes', async () => {
    // What KMS does with MessageType DIGEST: ECDSA over the given hash, DER-encoded.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const body = serializeDigest(DIGEST);
    kms
      .on(SignCommand)
      .resolves({ Signature: sign('sha256', body, { key: privateKey, dsaEncoding: 'der' }) });
    kms.on(GetPublicKeyCommand).resolves({ PublicKey: publicKey.export({ format: 'der', type: 'spki' }) });

    const signer = new KmsDigestSigner(new KMSClient({ region: 'eu-west-1' }), DIGEST.signingKeyId);
    const signature = await signer.sign(body);
    const [call] = kms.commandCalls(SignCommand);
    expect(call?.args[0].input).toEqual({
      KeyId: DIGEST.signingKeyId,
      Message: createHash('sha256').update(body).digest(),
      MessageType: 'DIGEST',
      SigningAlgorithm: 'ECDSA_SHA_256',
    });
    expect(verifyDigestSignature(body, signature, await signer.publicKey())).toBe(true);
    // The public key is asked for once per container.
    await signer.publicKey();
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
  });

  it('says which key gave nothing back', async () => {
    kms.on(SignCommand).resolves({});
    const signer = new KmsDigestSigner(
      new KMSClient({ region: 'eu-west-1' }),
      'arn:aws:kms:eu-west-1:1:key/x',
    );
    await expect(signer.sign(Buffer.from('x'))).rejects.toThrow(
      'KMS returned no signature for key arn:aws:kms:eu-west-1:1:key/x',
    );
  });
});
