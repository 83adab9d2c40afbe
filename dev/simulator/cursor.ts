import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Selection } from './store';
import type { ApiVersion, Feature } from './types';

const MAC_BYTES = 16;

const instantSchema = z.tuple([z.number().int(), z.number().int().min(0).max(999_999)]);
const cursorSchema = z.object({
  f: z.enum(['signinattempts', 'itemusages', 'auditevents']),
  v: z.enum(['v1', 'v2']),
  acct: z.string(),
  pos: z.number().int().min(0),
  lim: z.number().int().min(1).max(1000),
  s: instantSchema,
  e: instantSchema.optional(),
  iat: z.number().int(),
});

export interface CursorState extends Selection {
  feature: Feature;
  version: ApiVersion;
  account: string;
  issuedAt: number;
}

/**
 * Stateless cursors: everything needed to continue is inside, signed so a client cannot edit its
 * position or bounds. Keeping no server state means a cursor stays valid for as long as the
 * simulator runs, like the real API's cursors appear to over the retention window.
 */
export class CursorCodec {
  constructor(private readonly secret: Buffer) {}

  encode(state: CursorState): string {
    const payload = Buffer.from(
      JSON.stringify({
        f: state.feature,
        v: state.version,
        acct: state.account,
        pos: state.pos,
        lim: state.limit,
        s: [state.start.ms, state.start.ns],
        e: state.end ? [state.end.ms, state.end.ns] : undefined,
        iat: state.issuedAt,
      }),
    );
    return Buffer.concat([payload, this.mac(payload)]).toString('base64url');
  }

  /** `undefined` for anything this simulator did not issue unchanged. */
  decode(cursor: string): CursorState | undefined {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
    const raw = Buffer.from(cursor, 'base64url');
    if (raw.length <= MAC_BYTES) return undefined;
    const payload = raw.subarray(0, raw.length - MAC_BYTES);
    if (!timingSafeEqual(raw.subarray(raw.length - MAC_BYTES), this.mac(payload))) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return undefined;
    }
    const parsed = cursorSchema.safeParse(json);
    if (!parsed.success) return undefined;
    const c = parsed.data;
    const state: CursorState = {
      feature: c.f,
      version: c.v,
      account: c.acct,
      pos: c.pos,
      limit: c.lim,
      start: { ms: c.s[0], ns: c.s[1] },
      issuedAt: c.iat,
    };
    if (c.e) state.end = { ms: c.e[0], ns: c.e[1] };
    return state;
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.secret).update(payload).digest().subarray(0, MAC_BYTES);
  }
}
