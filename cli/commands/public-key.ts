import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GetPublicKeyCommand } from '@aws-sdk/client-kms';
import { publicKeyFingerprint, publicKeyPem, readPublicKey } from '../../lambdas/shared/archive/digest';
import { awsOptions, commonOptions, parseCommandLine, required } from '../args';
import type { AwsClients } from '../aws';
import { EXIT_CODES_HELP, ExitCode } from '../exit-codes';
import { toJson } from '../format';
import type { CliIo } from '../io';

export const PUBLIC_KEY_HELP = `Usage: op-events-archive public-key --key-id ARN [--out FILE] [options]

Exports the public key of the notary's signing key (a KMS key of spec ECC_NIST_P256) in PEM,
with its SHA-256 fingerprint. An auditor keeps it, and checks the archive's digests with
\`verify --public-key FILE\` without any access to the account's KMS. Compare the
fingerprint with the one \`verify\` prints, and with the one recorded when the key was made.

Options:
  --key-id ARN           the notary's key (the stack's NotaryKeyArn output; default $NOTARY_KEY_ID)
  --out FILE             write the PEM to FILE rather than to stdout
  --region REGION        AWS region (default: AWS_REGION / profile)
  --json                 print { keyId, keySpec, signingAlgorithms, fingerprint, pem }
  -h, --help             show this help

Needs kms:GetPublicKey on the key (the analyst policy grants it).

Example:
  op-events-archive public-key --key-id arn:aws:kms:eu-west-1:123456789012:key/... --out notary.pem

${EXIT_CODES_HELP}
`;

export interface PublicKeyOptions {
  readonly keyId: string;
  readonly out: string | undefined;
  readonly region: string | undefined;
  readonly json: boolean;
}

export function parsePublicKeyArgs(argv: string[], io: Pick<CliIo, 'env'>): PublicKeyOptions {
  const values = parseCommandLine('public-key', argv, {
    ...commonOptions,
    ...awsOptions,
    'key-id': { type: 'string' },
    out: { type: 'string' },
  });
  return {
    keyId: required(
      values['key-id'] ?? (io.env.NOTARY_KEY_ID || undefined),
      'key-id',
      'arn:aws:kms:<region>:<account>:key/<id> (the NotaryKeyArn output)',
    ),
    out: values.out === undefined ? undefined : resolve(values.out),
    region: values.region,
    json: values.json === true,
  };
}

export async function publicKey(
  options: PublicKeyOptions,
  deps: { io: CliIo; aws: AwsClients },
): Promise<ExitCode> {
  const response = await deps.aws.kms().send(new GetPublicKeyCommand({ KeyId: options.keyId }));
  if (!response.PublicKey) throw new Error(`KMS returned no public key for ${options.keyId}`);
  const key = readPublicKey(response.PublicKey);
  const pem = publicKeyPem(key);
  const fingerprint = publicKeyFingerprint(key);
  if (options.out) writeFileSync(options.out, pem);
  if (options.json) {
    deps.io.stdout.write(
      toJson({
        keyId: response.KeyId ?? options.keyId,
        keySpec: response.KeySpec,
        signingAlgorithms: response.SigningAlgorithms ?? [],
        fingerprint,
        pem,
      }),
    );
  } else {
    if (!options.out) deps.io.stdout.write(pem);
    deps.io.stderr.write(
      `${options.out ? `Wrote ${options.out}: ` : ''}public key of ${response.KeyId ?? options.keyId} (${response.KeySpec ?? 'unknown spec'}), SHA-256 fingerprint ${fingerprint}\n`,
    );
  }
  return ExitCode.ok;
}
