/**
 * Finds where each element of a page's top-level `items` array lies in the response body,
 * so that every event can be archived as the bytes the API sent rather than as our
 * re-serialisation of it (which loses integers above 2^53, `43.70`'s trailing zero,
 * duplicate keys and the API's escapes).
 *
 * It only locates: it does not check numbers, literals or escapes, and it accepts some
 * bodies that are not JSON. `JSON.parse` decides validity and values; the caller compares
 * the two (see `EventsApiClient`) and refuses a page on which they disagree.
 *
 * It works on bytes: every byte JSON gives structure to is ASCII, and no byte of a
 * multi-byte UTF-8 sequence is below 0x80, so offsets are exact without decoding.
 */

import { isUtf8 } from 'node:buffer';

/** Where one element of `items` lies in the body: bytes `start` (inclusive) to `end` (exclusive). */
export interface ItemSpan {
  readonly start: number;
  readonly end: number;
  /**
   * Whether a raw line feed or carriage return lies between the element's tokens (a
   * pretty-printed page); such bytes cannot be one NDJSON line.
   */
  readonly multiline: boolean;
}

/** The body is not a JSON object holding an `items` array, as far as the scanner can tell. */
export class RawPageError extends Error {
  override readonly name = 'RawPageError';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Length of the UTF-8 byte order mark at the start of `body` (3), or 0. RFC 8259 lets a
 * parser ignore it, and `Response.text()` does.
 */
export function bomLength(body: Uint8Array): number {
  return body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
}

/** The key `items` as raw bytes, for the common case of a key written without escapes. */
const ITEMS_KEY = Buffer.from('items');

/**
 * The spans of the elements of the top-level object's `items` array, in order. With several
 * top-level `items` keys the last one counts, as with `JSON.parse`. Throws
 * {@link RawPageError} when the body is not an object, has no `items` key, `items` is not
 * an array, or the body ends early.
 */
export function findItemSpans(body: Uint8Array): ItemSpan[] {
  const scanner = new Scanner(body);
  scanner.pos = bomLength(body);
  scanner.skipWhitespace();
  scanner.expect(OPEN_BRACE, 'the body is not a JSON object');
  let spans: ItemSpan[] | undefined;
  scanner.skipWhitespace();
  if (scanner.peek() === CLOSE_BRACE) {
    scanner.pos += 1;
  } else {
    for (;;) {
      scanner.skipWhitespace();
      const keyStart = scanner.pos;
      scanner.expect(QUOTE, 'an object key is not a string');
      scanner.pos = scanner.stringEnd(keyStart);
      const isItems = isItemsKey(body, keyStart, scanner.pos);
      scanner.skipWhitespace();
      scanner.expect(COLON, 'an object key is not followed by ":"');
      scanner.skipWhitespace();
      if (isItems) spans = scanner.arrayElements();
      else scanner.skipValue();
      scanner.skipWhitespace();
      const next = scanner.take('the body ends inside the top-level object');
      if (next === CLOSE_BRACE) break;
      if (next !== COMMA)
        throw new RawPageError(`unexpected byte at ${scanner.pos - 1} in the top-level object`);
    }
  }
  scanner.skipWhitespace();
  if (scanner.pos !== body.length) throw new RawPageError('bytes follow the top-level object');
  if (spans === undefined) throw new RawPageError('the top-level object has no "items" key');
  return spans;
}

/**
 * Each item's line for the archive: the bytes of its span in `body`, or its compact
 * `JSON.stringify` when those bytes cannot be one NDJSON line (a raw line break between its
 * tokens) or are not UTF-8. `items` is what `JSON.parse` made of the same body.
 *
 * Throws {@link RawPageError} when the scanner and `JSON.parse` disagree: another number of
 * elements, or an element whose first byte does not start a value of the parsed item's
 * type. Neither happens for a body `JSON.parse` accepted, unless the scanner has a bug; the
 * client then refuses the page as malformed (retried, never archived half-right).
 */
export function itemLines(
  body: Buffer,
  items: readonly unknown[],
): { lines: Buffer[]; reserialized: boolean } {
  const spans = findItemSpans(body);
  if (spans.length !== items.length) {
    throw new RawPageError(
      `found ${spans.length} elements of "items" where JSON.parse found ${items.length}`,
    );
  }
  // One check of the whole body in the usual case; item by item only when it fails.
  const allUtf8 = isUtf8(body);
  const lines: Buffer[] = [];
  let reserialized = false;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i] as ItemSpan;
    const item = items[i];
    if (!startsValueOf(body[span.start], item)) {
      throw new RawPageError(
        `element ${i} of "items" at byte ${span.start} is not the value JSON.parse found`,
      );
    }
    const bytes = body.subarray(span.start, span.end);
    if (span.multiline || !(allUtf8 || isUtf8(bytes))) {
      lines.push(Buffer.from(JSON.stringify(item), 'utf8'));
      reserialized = true;
    } else {
      lines.push(bytes);
    }
  }
  return { lines, reserialized };
}

/** Whether `byte` can start the JSON text of `value`. */
function startsValueOf(byte: number | undefined, value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return byte === QUOTE;
    case 'number':
      return byte === 0x2d || (byte !== undefined && byte >= 0x30 && byte <= 0x39);
    case 'boolean':
      return byte === (value ? 0x74 : 0x66);
    case 'object':
      if (value === null) return byte === 0x6e;
      return byte === (Array.isArray(value) ? OPEN_BRACKET : OPEN_BRACE);
    default:
      return false;
  }
}

/** Whether the string token `body[start, end)` (quotes included) is the key `items`. */
function isItemsKey(body: Uint8Array, start: number, end: number): boolean {
  const length = end - start - 2;
  if (length === ITEMS_KEY.length) {
    for (let i = 0; i < length; i++) if (body[start + 1 + i] !== ITEMS_KEY[i]) return false;
    return true;
  }
  // An escaped spelling (`"\u0069tems"`) is the same key to JSON.parse; it is rare, so decode it.
  if (length <= ITEMS_KEY.length || length > 64) return false;
  try {
    return (
      JSON.parse(Buffer.from(body.buffer, body.byteOffset + start, end - start).toString('utf8')) === 'items'
    );
  } catch {
    return false;
  }
}

class Scanner {
  pos = 0;

  constructor(private readonly body: Uint8Array) {}

  peek(): number | undefined {
    return this.body[this.pos];
  }

  take(endMessage: string): number {
    const byte = this.body[this.pos];
    if (byte === undefined) throw new RawPageError(endMessage);
    this.pos += 1;
    return byte;
  }

  expect(byte: number, message: string): void {
    if (this.body[this.pos] !== byte) throw new RawPageError(`${message} (at byte ${this.pos})`);
    this.pos += 1;
  }

  skipWhitespace(): void {
    const { body } = this;
    for (;;) {
      const byte = body[this.pos];
      if (byte !== SPACE && byte !== LF && byte !== CR && byte !== TAB) return;
      this.pos += 1;
    }
  }

  /** Index just past the quote that closes the string opening at `open`. */
  stringEnd(open: number): number {
    const { body } = this;
    let end = body.indexOf(QUOTE, open + 1);
    while (end > 0) {
      let backslashes = 0;
      for (let k = end - 1; body[k] === BACKSLASH; k--) backslashes++;
      if (backslashes % 2 === 0) return end + 1;
      end = body.indexOf(QUOTE, end + 1);
    }
    throw new RawPageError(`a string opening at byte ${open} is not closed`);
  }

  /** The spans of the array's elements; the scanner stands on its `[`. */
  arrayElements(): ItemSpan[] {
    this.expect(OPEN_BRACKET, '"items" is not an array');
    const spans: ItemSpan[] = [];
    this.skipWhitespace();
    if (this.peek() === CLOSE_BRACKET) {
      this.pos += 1;
      return spans;
    }
    for (;;) {
      this.skipWhitespace();
      const start = this.pos;
      const multiline = this.skipValue();
      spans.push({ start, end: this.pos, multiline });
      this.skipWhitespace();
      const next = this.take('the body ends inside "items"');
      if (next === CLOSE_BRACKET) return spans;
      if (next !== COMMA) throw new RawPageError(`unexpected byte at ${this.pos - 1} in "items"`);
    }
  }

  /**
   * Moves past one value: a string, a whole object or array (brackets counted, strings
   * skipped), or a bare scalar (to the next delimiter). Returns whether a raw line break
   * lies inside it.
   */
  skipValue(): boolean {
    const { body } = this;
    const first = body[this.pos];
    if (first === undefined) throw new RawPageError('the body ends where a value should be');
    if (first === QUOTE) {
      this.pos = this.stringEnd(this.pos);
      return false;
    }
    if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
      const start = this.pos;
      for (;;) {
        const byte = body[this.pos];
        if (
          byte === undefined ||
          byte === COMMA ||
          byte === CLOSE_BRACE ||
          byte === CLOSE_BRACKET ||
          byte === SPACE ||
          byte === TAB ||
          byte === LF ||
          byte === CR
        )
          break;
        this.pos += 1;
      }
      if (this.pos === start) throw new RawPageError(`a value is missing at byte ${start}`);
      return false;
    }
    const open = this.pos;
    let depth = 0;
    let lineBreak = false;
    for (;;) {
      const byte = body[this.pos];
      if (byte === undefined) throw new RawPageError(`the value opening at byte ${open} is not closed`);
      if (byte === QUOTE) {
        this.pos = this.stringEnd(this.pos);
        continue;
      }
      this.pos += 1;
      if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth += 1;
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        depth -= 1;
        if (depth === 0) return lineBreak;
      } else if (byte === LF || byte === CR) lineBreak = true;
    }
  }
}
