import type { PageStyle } from './types';

/**
 * How a page goes on the wire. `compact` is `JSON.stringify`'s form; the others spell the
 * same values differently, as an API is free to, so that a client can be shown to keep each
 * event's bytes as sent rather than re-serialise it.
 */
export function renderPage(
  items: ReadonlyArray<{ readonly text: string }>,
  cursor: string,
  hasMore: boolean,
  style: PageStyle,
): string {
  const itemsText = `[${items.map((item) => item.text).join(',')}]`;
  const cursorText = JSON.stringify(cursor);
  switch (style) {
    case 'compact':
      return `{"items":${itemsText},"cursor":${cursorText},"has_more":${hasMore}}`;
    case 'spaced':
      // `items` not last, as in some of the API's documentation.
      return restyle(`{"cursor":${cursorText},"has_more":${hasMore},"items":${itemsText}}`, 'spaced');
    case 'pretty':
      return restyle(`{"items":${itemsText},"cursor":${cursorText},"has_more":${hasMore}}`, 'pretty');
  }
}

/**
 * Respells JSON text without changing its values (every string, number and key stays what it
 * parses to):
 * - `spaced`: one line, with spaces and tabs around every `:` and `,` and inside brackets,
 *   characters outside ASCII escaped as `\uXXXX` (`é` → `\u00e9`), and a trailing zero on
 *   every number with a fraction (`43.7` → `43.70`);
 * - `pretty`: indented by two spaces, one member per line, as `JSON.stringify(v, null, 2)`.
 * Strings are copied as they are (their escapes kept) but for `spaced`'s non-ASCII escapes.
 */
export function restyle(text: string, style: Exclude<PageStyle, 'compact'>): string {
  let out = '';
  let depth = 0;
  const newline = () => `\n${'  '.repeat(depth)}`;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const literal = text.slice(i, end + 1);
      out += style === 'spaced' ? escapeNonAscii(literal) : literal;
      i = end;
    } else if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (style === 'spaced') out += c;
    } else if (c === '{' || c === '[') {
      const closing = c === '{' ? '}' : ']';
      const next = nextToken(text, i + 1);
      if (style === 'pretty' && text[next] === closing) {
        out += `${c}${closing}`;
        i = next;
      } else {
        depth += 1;
        out += style === 'spaced' ? `${c} ` : `${c}${newline()}`;
      }
    } else if (c === '}' || c === ']') {
      depth -= 1;
      out += style === 'spaced' ? ` ${c}` : `${newline()}${c}`;
    } else if (c === ':') {
      out += style === 'spaced' ? ' :\t' : ': ';
    } else if (c === ',') {
      out += style === 'spaced' ? ' ,  ' : `,${newline()}`;
    } else {
      let end = i;
      while (end < text.length && !'{}[]:," \t\n\r'.includes(text[end] as string)) end += 1;
      const token = text.slice(i, end);
      const fraction = /^-?\d+\.\d+$/.test(token);
      out += style === 'spaced' && fraction ? `${token}0` : token;
      i = end - 1;
    }
  }
  return out;
}

/** Index of the first character at or after `from` that is not whitespace. */
function nextToken(text: string, from: number): number {
  let i = from;
  while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i += 1;
  return i;
}

function escapeNonAscii(literal: string): string {
  return literal.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
