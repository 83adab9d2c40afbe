/**
 * The text of each element of a page's `items` array, cut from the body as the API sent it,
 * without parsing and serialising each event again. A sketch of a change the CPU section
 * proposes, there to measure it: it assumes `"items":[` occurs once, at the top level.
 * Returns `undefined` when the body does not look like that.
 */
export function rawItems(body: string): string[] | undefined {
  const open = body.indexOf('"items":[');
  if (open < 0) return undefined;
  const items: string[] = [];
  let depth = 0;
  let start = -1;
  for (let i = open + '"items":['.length; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x22) {
      i = closingQuote(body, i);
      if (i < 0) return undefined;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === 0) start = i;
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) return items;
      depth--;
      if (depth === 0) items.push(body.slice(start, i + 1));
    } else if (depth > 0 && (c === 0x0a || c === 0x0d)) {
      // A line break between tokens would split an NDJSON line: leave such pages to JSON.stringify.
      return undefined;
    }
  }
  return undefined;
}

/** Index of the quote that closes the string opening at `from`; strings are skipped with indexOf, not char by char. */
function closingQuote(body: string, from: number): number {
  let end = body.indexOf('"', from + 1);
  while (end > 0) {
    let backslashes = 0;
    for (let k = end - 1; body.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = body.indexOf('"', end + 1);
  }
  return -1;
}
