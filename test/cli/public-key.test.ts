/**
 * The notary's key from the auditor's side: `public-key` exports it from KMS, and
 * `verify --key-id` checks a bucket's digests with it. KMS has no local server, so the
 * KMS client is mocked; S3 and DynamoDB are the local servers, the digests the real notary's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { localNotaryDependencies } from '../../dev/local/notary';
import { runNotary } from '../../lambdas/notary/notary';
import { LocalDigestSigner, publicKeyFingerprint, readPublicKey } from '../../lambdas/shared/archive/digest';
import { MemoryLog, SOURCE, startEnvironment, type TestEnvironment } from '../support/environment';
import { cli, temporaryDir } from './support';

const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/0b5e6f2a-1111-2222-3333-444455556666';
const STREAM = 'auditevents';

describe('public-key and verify --key-id', () => {
  const kms = mockClient(KMSClient);
  let env: TestEnvironment;
  let signer: LocalDigestSigner;

  beforeEach(async () => {
    env = await startEnvironment({ collectorEnv: { EVENT_TYPES: STREAM } });
    signer = LocalDigestSigner.generate(KEY_ARN);
    const publicKey = await signer.publicKey();
    kms.on(GetPublicKeyCommand, { KeyId: KEY_ARN }).resolves({
      KeyId: KEY_ARN,
      KeySpec: 'ECC_NIST_P256',
      SigningAlgorithms: ['ECDSA_SHA_256'],
      PublicKey: publicKey.export({ format: 'der', type: 'spki' }),
    });
    const now = Date.now();
    env.sim.generate(STREAM, 300, { from: now - 86_400_000, to: now - 60_000 });
    const run = await env.run();
    if (run instanceof Error) throw run;
    await runNotary(localNotaryDependencies(env.aws, { sources: [SOURCE], signer, log: new MemoryLog() }));
  });
  afterEach(async () => {
    kms.reset();
    await env.close();
  });
  afterAll(() => kms.restore());

  it('exports the PEM and its fingerprint', async () => {
    const out = join(temporaryDir('public-key'), 'notary.pem');
    const result = await cli(['public-key', '--key-id', KEY_ARN, '--out', out, '--region', 'eu-west-1']);
    expect(result.code).toBe(0);
    const fingerprint = publicKeyFingerprint(await signer.publicKey());
    expect(result.stderr).toContain(`(ECC_NIST_P256), SHA-256 fingerprint ${fingerprint}`);
    expect(publicKeyFingerprint(readPublicKey(readFileSync(out, 'utf8')))).toBe(fingerprint);

    const json = await cli(['public-key', '--json', '--region', 'eu-west-1'], {
      env: { NOTARY_KEY_ID: KEY_ARN },
    });
    expect(json.json()).toMatchObject({ keyId: KEY_ARN, keySpec: 'ECC_NIST_P256', fingerprint });
  });

  it('asks for the key id it needs', async () => {
    const result = await cli(['public-key'], { env: { NOTARY_KEY_ID: '' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--key-id is required, e\.g\. --key-id arn:aws:kms:/);
  });

  it('verify --key-id checks the bucket against the signed digests', async () => {
    const args = [
      'verify',
      '--bucket',
      env.aws.bucket,
      '--source',
      SOURCE,
      '--stream',
      STREAM,
      '--region',
      'eu-west-1',
    ];
    const ok = await cli([...args, '--key-id', KEY_ARN, '--json']);
    expect(ok.code).toBe(0);
    expect(ok.json().digests).toMatchObject({ digests: 1, valid: 1, findings: [] });

    // Another key: the digest no longer verifies, and nothing it signed counts as signed.
    const other = 'arn:aws:kms:eu-west-1:123456789012:key/other';
    kms.on(GetPublicKeyCommand, { KeyId: other }).resolves({
      PublicKey: (await LocalDigestSigner.generate(other).publicKey()).export({
        format: 'der',
        type: 'spki',
      }),
    });
    const forged = await cli([...args, '--key-id', other, '--json']);
    expect(forged.code).toBe(1);
    expect(forged.json().digests.findings).toEqual([
      expect.objectContaining({ kind: 'digest-invalid', key: 'digests/source=acme/000000000001.json' }),
      expect.objectContaining({ kind: 'digest-missing', detail: 'no digest with a valid signature' }),
    ]);

    // A bucket's newest digest must be recent: 3 hours by default.
    const late = await cli([...args, '--key-id', KEY_ARN, '--json'], {
      now: () => Date.now() + 4 * 3_600_000,
    });
    expect(late.json().digests.findings).toEqual([
      expect.objectContaining({ kind: 'digest-missing', detail: expect.stringMatching(/^no digest since/) }),
    ]);

    const unsigned = await cli(args);
    expect(unsigned.stdout).toMatch(/note: no notary key given/);
  });
});
