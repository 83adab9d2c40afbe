/**
 * Seeded PRNG (sfc32, seeded through splitmix32) so generated accounts, events and chaos
 * are reproducible from a seed. Math.random cannot be seeded.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  uint32(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by relative weight. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T;
}

export function createRandom(seed: number, stream = ''): Random {
  let s = (seed ^ hashString(stream)) >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();

  const uint32 = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) uint32();

  const next = () => uint32() / 4294967296;
  const random: Random = {
    next,
    uint32,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    weighted: (entries) => {
      let total = 0;
      for (const [, weight] of entries) total += weight;
      let r = next() * total;
      for (const [value, weight] of entries) {
        r -= weight;
        if (r < 0) return value;
      }
      const last = entries[entries.length - 1];
      if (!last) throw new Error('weighted pick from an empty list');
      return last[0];
    },
  };
  return random;
}

function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const BASE32 = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'].map((c) => c.charCodeAt(0));
const codes = new Array<number>(26);

/** 26 base32 characters (130 bits), the shape of every 1Password id. */
export function base32Id(random: Random): string {
  // Six 5-bit characters per 32-bit draw. Built from char codes: appending 26 single characters
  // would leave a rope of 26 string nodes per id, which dominated memory for large batches.
  for (let i = 0; i < 26; i += 6) {
    let bits = random.uint32();
    for (let j = i; j < i + 6 && j < 26; j++) {
      codes[j] = BASE32[bits & 31] as number;
      bits >>>= 5;
    }
  }
  return String.fromCharCode(...codes);
}
