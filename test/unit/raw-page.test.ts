import { findItemSpans, itemLines, RawPageError } from '../../lambdas/shared/events-api/raw-page';

/** The text of each span the scanner finds in `body`. */
function cut(body: string | Buffer): string[] {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return findItemSpans(bytes).map((span) => bytes.subarray(span.start, span.end).toString('utf8'));
}

/** What the scanner says is wrong with `body`. */
function refusal(body: string): string {
  try {
    findItemSpans(Buffer.from(body, 'utf8'));
  } catch (error) {
    expect(error).toBeInstanceOf(RawPageError);
    return (error as Error).message;
  }
  throw new Error('expected the scanner to refuse the body');
}

describe('findItemSpans', () => {
  it('cuts each element of a compact page', () => {
    expect(cut('{"items":[{"uuid":"A"},{"uuid":"B"}],"cursor":"c","has_more":false}')).toEqual([
      '{"uuid":"A"}',
      '{"uuid":"B"}',
    ]);
  });

  it('keeps each element byte for byte: number spellings, big integers, escapes, duplicate keys', () => {
    const items = [
      '{"latitude":43.70,"big":9007199254740993,"huge":1e400,"neg":-0.0}',
      '{"city":"Montr\\u00e9al","emoji":"\\ud83d\\ude00","slash":"a\\/b","k":1,"k":2}',
    ];

    expect(cut(`{"items":[${items.join(',')}],"cursor":"c","has_more":true}`)).toEqual(items);
  });

  it('finds items whatever the order of the keys', () => {
    expect(cut('{"cursor":"c","items":[{"a":1}],"has_more":true}')).toEqual(['{"a":1}']);
    expect(cut('{"has_more":true,"cursor":"c","items":[{"a":1}]}')).toEqual(['{"a":1}']);
  });

  it('skips whitespace between tokens, and keeps it inside an element', () => {
    const body =
      ' \r\n\t{ "cursor" :\t"c" ,\n "items" : [ \n { "a" : 1 ,\t"b" : [ 2 , 3 ] } ,\r\n\t{"c":2}\n ] , "has_more": false }\n';

    expect(cut(body)).toEqual(['{ "a" : 1 ,\t"b" : [ 2 , 3 ] }', '{"c":2}']);
  });

  it('says which elements span a raw line break, as a pretty-printed page has', () => {
    const body = Buffer.from(
      JSON.stringify({ items: [{ a: 1 }, 'x', { b: [1, 2] }], cursor: 'c', has_more: false }, null, 2),
    );

    const spans = findItemSpans(body);

    expect(spans.map((span) => span.multiline)).toEqual([true, false, true]);
    expect(spans.map((span) => JSON.parse(body.subarray(span.start, span.end).toString()))).toEqual([
      { a: 1 },
      'x',
      { b: [1, 2] },
    ]);
  });

  it('is not misled by brackets, braces, quotes and backslashes inside strings', () => {
    const items = [
      '{"a":"]","b":"}","c":"[{","d":"\\"]}","e":"\\\\","f":"\\\\\\"]"}',
      '"a string with ] and } and \\" in it"',
      '{"k\\"]}":"v"}',
    ];

    expect(cut(`{"items":[${items.join(',')}],"cursor":"c","has_more":true}`)).toEqual(items);
  });

  it('cuts nested arrays and elements of every JSON type', () => {
    const items = [
      '[[1,[2]],[]]',
      '"s"',
      '-12.5e-3',
      'true',
      'false',
      'null',
      '{}',
      '[]',
      '{"a":{"b":{"c":[{}]}}}',
    ];

    expect(cut(`{"items":[${items.join(' , ')}],"cursor":"c","has_more":true}`)).toEqual(items);
  });

  it('gives no spans for an empty items array', () => {
    expect(cut('{"items":[],"cursor":"c","has_more":false}')).toEqual([]);
    expect(cut('{"items":[ \n ],"cursor":"c","has_more":false}')).toEqual([]);
  });

  it('ignores an "items" key nested in another value of the page', () => {
    const body =
      '{"meta":{"items":["wrong"]},"cursor":"c","extra":[{"items":["wrong too"]}],' +
      '"note":"\\"items\\":[\\"no\\"]","items":[{"right":true}],"has_more":false}';

    expect(cut(body)).toEqual(['{"right":true}']);
  });

  it('ignores an "items" key inside an item', () => {
    expect(cut('{"items":[{"items":[1,2]},{"x":{"items":[]}}],"cursor":"c","has_more":false}')).toEqual([
      '{"items":[1,2]}',
      '{"x":{"items":[]}}',
    ]);
  });

  it('takes the last of several top-level items keys, as JSON.parse does', () => {
    const body = '{"items":[{"first":1}],"cursor":"c","items":[{"last":1},{"last":2}],"has_more":true}';

    expect(cut(body)).toEqual(['{"last":1}', '{"last":2}']);
    expect(JSON.parse(body).items).toEqual([{ last: 1 }, { last: 2 }]);
  });

  it('recognises the items key spelled with an escape', () => {
    expect(cut('{"\\u0069tems":[{"a":1}],"cursor":"c","has_more":true}')).toEqual(['{"a":1}']);
  });

  it('gives byte offsets past multi-byte UTF-8 characters', () => {
    const body = Buffer.from(
      '{"cursor":"é☕𝄞","items":[{"name":"Zoë ☕"},{"n":"𝄞"}],"has_more":false}',
      'utf8',
    );

    const spans = findItemSpans(body);

    expect(spans.map((span) => body.subarray(span.start, span.end).toString('utf8'))).toEqual([
      '{"name":"Zoë ☕"}',
      '{"n":"𝄞"}',
    ]);
    expect(spans[0]?.start).toBe(Buffer.byteLength('{"cursor":"é☕𝄞","items":['));
  });

  it('skips a UTF-8 byte order mark before the page', () => {
    const body = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from('{"items":[{"a":1}],"cursor":"c"}'),
    ]);

    expect(cut(body)).toEqual(['{"a":1}']);
  });

  it('agrees with JSON.parse on a thousand generated pages of odd but valid JSON', () => {
    // A fixed-seed generator: strings full of brackets, quotes and escapes, deep nesting,
    // numbers in every spelling, whitespace of every kind between tokens.
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
    const space = () => pick(['', '', ' ', '\t', '\n', '\r\n', '  ']);
    const strings = ['"]"', '"}"', '"\\""', '"\\\\"', '"[{\\"items\\":[]}"', '"é☕"', '"\\u00e9"', '""'];
    const numbers = ['0', '-1', '43.70', '9007199254740993', '1e400', '-2.5E-3'];
    const value = (depth: number): string => {
      const kind = depth > 3 ? pick(['s', 'n', 'l']) : pick(['s', 'n', 'l', 'o', 'a', 'o']);
      const join = (parts: string[]) => parts.map((part) => `${space()}${part}${space()}`).join(',');
      if (kind === 's') return pick(strings);
      if (kind === 'n') return pick(numbers);
      if (kind === 'l') return pick(['true', 'false', 'null']);
      const size = Math.floor(random() * 4);
      const parts = Array.from({ length: size }, () =>
        kind === 'a'
          ? value(depth + 1)
          : `${pick([...strings, '"items"'])}${space()}:${space()}${value(depth + 1)}`,
      );
      return kind === 'a' ? `[${join(parts)}${space()}]` : `{${join(parts)}${space()}}`;
    };

    for (let page = 0; page < 1000; page++) {
      const items = Array.from({ length: Math.floor(random() * 5) }, () => value(0));
      const members = [
        `"items"${space()}:${space()}[${items.map((item) => `${space()}${item}${space()}`).join(',')}]`,
      ];
      members.splice(Math.floor(random() * 2), 0, `"cursor":${value(1)}`);
      const body = `${space()}{${members.map((member) => `${space()}${member}${space()}`).join(',')}}${space()}`;

      expect(cut(body)).toEqual(items);
      expect(cut(body).map((text) => JSON.parse(text))).toEqual(JSON.parse(body).items);
    }
  });

  it.each([
    ['an array', '[{"items":[]}]', 'not a JSON object'],
    ['a body with no items key', '{"cursor":"c","has_more":false}', 'no "items" key'],
    ['items that is not an array', '{"items":{"a":1},"cursor":"c"}', '"items" is not an array'],
    ['a body cut inside an item', '{"items":[{"uuid":"A"', 'not closed'],
    ['a body cut inside a string', '{"items":[{"uuid":"A', 'not closed'],
    ['a body cut after an item', '{"items":[{"uuid":"A"}', 'ends inside "items"'],
    ['a body cut after the items', '{"items":[],"cursor":"c"', 'ends inside the top-level object'],
    ['bytes after the page', '{"items":[]} {"items":[]}', 'bytes follow'],
    ['a missing element', '{"items":[1,,2]}', 'a value is missing'],
    ['a key without a colon', '{"items" [1]}', 'not followed by ":"'],
    ['an empty body', '', 'not a JSON object'],
  ])('refuses %s', (_label, body, problem) => {
    expect(refusal(body)).toContain(problem);
  });
});

describe('itemLines', () => {
  function linesOf(body: string) {
    const bytes = Buffer.from(body, 'utf8');
    const { lines, reserialized } = itemLines(bytes, JSON.parse(body).items);
    return { lines: lines.map((line) => line.toString('utf8')), reserialized };
  }

  it('gives each item its bytes from the body, not a re-serialisation', () => {
    const body =
      '{"items":[{"lat":43.70, "id":9007199254740993,"city":"Montr\\u00e9al"}],"cursor":"c","has_more":true}';

    expect(linesOf(body)).toEqual({
      lines: ['{"lat":43.70, "id":9007199254740993,"city":"Montr\\u00e9al"}'],
      reserialized: false,
    });
  });

  it('re-serialises only the items whose bytes hold a line break, and says so', () => {
    const body = '{"items":[{"a":1.50},\n{\n  "b": 2\n},{"c" :3}],"cursor":"c","has_more":true}';

    expect(linesOf(body)).toEqual({ lines: ['{"a":1.50}', '{"b":2}', '{"c" :3}'], reserialized: true });
  });

  it('re-serialises an item whose bytes are not UTF-8, and says so', () => {
    const body = Buffer.concat([
      Buffer.from('{"items":[{"ok":"é"},{"bad":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}],"cursor":"c","has_more":true}'),
    ]);
    const items = JSON.parse(body.toString('utf8')).items;

    const { lines, reserialized } = itemLines(body, items);

    expect(lines.map((line) => line.toString('utf8'))).toEqual(['{"ok":"é"}', JSON.stringify(items[1])]);
    expect(reserialized).toBe(true);
  });

  it('refuses a body in which it finds another number of items than JSON.parse', () => {
    const body = Buffer.from('{"items":[{"a":1},{"b":2}],"cursor":"c","has_more":true}');

    expect(() => itemLines(body, [{ a: 1 }])).toThrow(RawPageError);
    expect(() => itemLines(body, [{ a: 1 }])).toThrow('found 2 elements of "items" where JSON.parse found 1');
  });

  it('refuses an element that does not start the value JSON.parse found there', () => {
    const body = Buffer.from('{"items":[{"a":1},"b"],"cursor":"c","has_more":true}');

    expect(() => itemLines(body, [{ a: 1 }, { b: 2 }])).toThrow('element 1 of "items"');
    expect(() => itemLines(body, [[1], 'b'])).toThrow('element 0 of "items"');
  });
});
