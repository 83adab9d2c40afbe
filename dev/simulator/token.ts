import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { FEATURES, type Feature } from './types';

const claimsSchema = z.object({
  aud: z.array(z.string()),
  iss: z.string(),
  sub: z.string(),
  iat: z.number(),
  exp: z.number().optional(),
  jti: z.string(),
  '1password.com/auuid': z.string(),
  '1password.com/fts': z.array(z.string()),
});

export type Claims = z.infer<typeof claimsSchema>;

export type Verification = { ok: true; claims: Claims; features: Feature[] } | { ok: false; reason: string };

export interface MintParams {
  account: string;
  integration: string;
  aud: string;
  features: readonly Feature[];
  issuedAtMs: number;
  expiresAtMs?: number;
}

/**
 * Events API tokens as clients see them: a compact JWS with an ES256 header and the documented
 * Events API claims. Clients never verify the signature (no public key is published), so it
 * is an HMAC-SHA512 (64 bytes, the length of an ES256 signature) under a per-simulator secret: that
 * is enough for the simulator to reject forged and edited tokens.
 */
export class TokenAuthority {
  private readonly secret = randomBytes(32);
  private readonly keyId = randomId();
  private readonly revoked = new Set<string>();

  mint(params: MintParams): string {
    const header = { alg: 'ES256', kid: this.keyId, typ: 'JWT' };
    const claims: Claims = {
      '1password.com/auuid': params.account,
      '1password.com/fts': [...params.features],
      aud: [params.aud],
      iat: Math.floor(params.issuedAtMs / 1000),
      iss: 'com.1password.b5',
      jti: randomId(),
      sub: params.integration,
    };
    if (params.expiresAtMs !== undefined) claims.exp = Math.floor(params.expiresAtMs / 1000);
    const signingInput = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(claims))}`;
    return `${signingInput}.${this.sign(signingInput).toString('base64url')}`;
  }

  /** Revoking a token this simulator did not mint does nothing: such a token is refused anyway. */
  revoke(token: string): void {
    const decoded = this.decode(token);
    if (decoded.ok) this.revoked.add(decoded.claims.jti);
  }

  verify(authorization: string | undefined, nowMs: number): Verification {
    if (!authorization) return { ok: false, reason: 'no Authorization header' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match?.[1]) return { ok: false, reason: 'Authorization is not "Bearer <token>"' };
    const decoded = this.decode(match[1]);
    if (!decoded.ok) return decoded;
    const { claims } = decoded;
    if (this.revoked.has(claims.jti)) return { ok: false, reason: 'token revoked' };
    if (claims.exp !== undefined && nowMs >= claims.exp * 1000) return { ok: false, reason: 'token expired' };
    const features = FEATURES.filter((f) => claims['1password.com/fts'].includes(f));
    return { ok: true, claims, features };
  }

  private decode(token: string): Verification {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'token is not a JWT' };
    const [header, payload, signature] = parts as [string, string, string];
    const expected = this.sign(`${header}.${payload}`);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'token signature invalid' };
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'token payload is not JSON' };
    }
    const parsed = claimsSchema.safeParse(json);
    if (!parsed.success) return { ok: false, reason: 'token claims malformed' };
    return { ok: true, claims: parsed.data, features: [] };
  }

  private sign(signingInput: string): Buffer {
    return createHmac('sha512', this.secret).update(signingInput).digest();
  }
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** A lower-case 26-character base32 id from the system RNG: token ids must not follow the data seed. */
function randomId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return Array.from(randomBytes(26), (byte) => alphabet[byte & 31]).join('');
}
