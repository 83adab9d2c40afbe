import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { BatchBuilder } from '../../lambdas/shared/archive/batch';

function itemUsage(
  uuid: string,
  timestamp: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    uuid,
    timestamp,
    used_version: 3,
    vault_uuid: 'jaqxqf5qylslqiitnduawrndc5',
    item_uuid: 'bvwmmwxisuca7wbehrbyqhag54',
    action: 'secure-copy',
    user: {
      uuid: 'OJQGU46KAPROEJLCK674RHSAY5',
      name: 'Wendy Appleseed',
      email: 'wendy.appleseed@example.com',
    },
    client: { app_name: '1Password for Mac', ip_address: '198.51.100.7' },
    ...extra,
  };
}

function signIn(uuid: string, category: string): Record<string, unknown> {
  return { uuid, timestamp: '2025-03-01T14:28:03Z', category, type: 'credentials_ok', details: null };
}

describe('BatchBuilder', () => {
  it('writes one NDJSON line per event, exactly as JSON.stringify gives it, unknown fields kept', async () => {
    // Prepare
    const events = [
      itemUsage('A', '2025-03-01T18:57:42.484Z', {
        new_field: { nested: [1, 'two', null] },
        account_uuid: 'X',
      }),
      itemUsage('B', '2025-03-01T18:57:43Z', { note: 'café ☕', 'odd key': true }),
    ];
    const batch = new BatchBuilder('itemusages', 100, 1_000_000);

    // Act
    for (const event of events) batch.add(event);
    const sealed = await batch.seal();

    // Assess
    const body = gunzipSync(sealed.gzipped).toString('utf8');
    expect(body).toBe(`${JSON.stringify(events[0])}\n${JSON.stringify(events[1])}\n`);
    expect(body.endsWith('\n')).toBe(true);
    expect(
      body
        .split('\n')
        .slice(0, -1)
        .map((line) => JSON.parse(line)),
    ).toEqual(events);
    expect(sealed.eventCount).toBe(2);
  });

  it('reports the body size in UTF-8 bytes, the same before and after sealing', async () => {
    // Prepare
    const batch = new BatchBuilder('itemusages', 100, 1_000_000);
    batch.add(itemUsage('A', '2025-03-01T18:57:42Z', { note: 'é ☕ 𝄞' }));
    batch.add(itemUsage('B', '2025-03-01T18:57:43Z'));

    // Act
    const sealed = await batch.seal();

    // Assess
    const body = gunzipSync(sealed.gzipped);
    expect(sealed.uncompressedBytes).toBe(body.length);
    expect(batch.uncompressedBytes).toBe(body.length);
  });

  it('gives the hex SHA-256 of the body and the base64 SHA-256 of the gzipped bytes', async () => {
    // Prepare
    const batch = new BatchBuilder('itemusages', 100, 1_000_000);
    batch.add(itemUsage('A', '2025-03-01T18:57:42Z'));
    batch.add(itemUsage('B', '2025-03-01T18:57:43Z'));

    // Act
    const sealed = await batch.seal();

    // Assess
    const body = gunzipSync(sealed.gzipped);
    expect(sealed.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sealed.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(sealed.gzippedSha256Base64).toBe(createHash('sha256').update(sealed.gzipped).digest('base64'));
  });

  it('gives the same hash to the same events, and another to other events', async () => {
    const hashOf = async (uuids: string[]) => {
      const batch = new BatchBuilder('itemusages', 100, 1_000_000);
      for (const uuid of uuids) batch.add(itemUsage(uuid, '2025-03-01T18:57:42Z'));
      return (await batch.seal()).sha256;
    };

    expect(await hashOf(['A', 'B'])).toBe(await hashOf(['A', 'B']));
    expect(await hashOf(['A', 'B'])).not.toBe(await hashOf(['B', 'A']));
  });

  it('gives the earliest and latest event time by instant, whatever the order and format', async () => {
    // Prepare: out of order, with offset, ms and ns forms.
    const batch = new BatchBuilder('itemusages', 100, 1_000_000);
    batch.add(itemUsage('A', '2025-03-01T18:57:42.484Z'));
    batch.add(itemUsage('B', '2025-03-01T23:00:00+05:00')); // 18:00:00Z, the earliest
    batch.add(itemUsage('C', '2025-03-01T18:57:42.827288935Z'));
    batch.add(itemUsage('D', '2025-03-01T15:57:43-03:00')); // 18:57:43Z, the latest
    batch.add(itemUsage('E', '2025-03-01T18:30:00Z'));

    // Act
    const sealed = await batch.seal();

    // Assess
    expect(sealed.firstEventTime).toBe('2025-03-01T18:00:00.000Z');
    expect(sealed.lastEventTime).toBe('2025-03-01T18:57:43.000Z');
    expect(batch.newestEventMs).toBe(Date.UTC(2025, 2, 1, 18, 57, 43));
  });

  it('leaves the event times undefined when no event has a valid timestamp', async () => {
    const batch = new BatchBuilder('itemusages', 100, 1_000_000);
    batch.add(itemUsage('A', 'not a time'));

    const sealed = await batch.seal();

    expect(sealed.firstEventTime).toBeUndefined();
    expect(sealed.lastEventTime).toBeUndefined();
    expect(batch.newestEventMs).toBeUndefined();
  });

  it('keeps events that fail the schema and lists them by uuid with a reason', async () => {
    // Prepare
    const { uuid: _uuid, ...withoutUuid } = itemUsage('unused', '2025-03-01T18:57:42Z');
    const { timestamp: _timestamp, ...withoutTimestamp } = itemUsage('NO-TIME', 'unused');
    const badTimestamp = itemUsage('BAD-TIME', '2021-12-15 18:02:23');
    const good = itemUsage('GOOD', '2025-03-01T18:57:43Z');
    const batch = new BatchBuilder('itemusages', 100, 1_000_000);

    // Act
    for (const event of [withoutUuid, withoutTimestamp, badTimestamp, good]) batch.add(event);
    const sealed = await batch.seal();

    // Assess
    expect(sealed.eventCount).toBe(4);
    const lines = gunzipSync(sealed.gzipped).toString('utf8').trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      withoutUuid,
      withoutTimestamp,
      badTimestamp,
      good,
    ]);
    expect(batch.invalid).toHaveLength(3);
    expect(batch.invalid[0]?.uuid).toBeUndefined();
    expect(batch.invalid[0]?.reason).toContain('uuid');
    expect(batch.invalid[1]?.uuid).toBe('NO-TIME');
    expect(batch.invalid[1]?.reason).toContain('timestamp');
    expect(batch.invalid[2]).toEqual({ uuid: 'BAD-TIME', reason: expect.stringContaining('timestamp') });
    expect(sealed.firstEventTime).toBe('2025-03-01T18:57:42.000Z');
  });

  it('never puts event values in the reasons', () => {
    // Prepare
    const batch = new BatchBuilder('itemusages', 100, 1_000_000);
    const event = itemUsage('LEAKY', 'SENSITIVE-timestamp', {
      vault_uuid: 4242424242,
      item_uuid: { secret: 'SENSITIVE-item' },
      used_version: 'SENSITIVE-version',
    });

    // Act
    batch.add(event);

    // Assess
    expect(batch.invalid).toHaveLength(1);
    const reason = batch.invalid[0]?.reason ?? '';
    expect(reason).not.toBe('');
    expect(reason).not.toContain('SENSITIVE');
    expect(reason).not.toContain('4242424242');
  });

  it('keeps an item that is not an object and lists it as invalid without a uuid', async () => {
    const batch = new BatchBuilder('auditevents', 100, 1_000_000);

    batch.add('just a string');
    batch.add(null);

    expect(batch.invalid).toEqual([
      { uuid: undefined, reason: expect.any(String) },
      { uuid: undefined, reason: expect.any(String) },
    ]);
    expect(gunzipSync((await batch.seal()).gzipped).toString('utf8')).toBe('"just a string"\nnull\n');
  });

  it('accepts events with unknown enum values and extra fields as valid', () => {
    const batch = new BatchBuilder('auditevents', 100, 1_000_000);

    batch.add({
      uuid: 'E1',
      timestamp: '2022-10-24T21:16:52.827288935Z',
      action: 'brand-new-action',
      object_type: 'brand-new-type',
      session: { uuid: 'S', login_time: '2022-10-24T21:16:52.827288935Z', device_uuid: 'D', ip: '192.0.2.1' },
      added_in_2030: { anything: true },
    });

    expect(batch.invalid).toEqual([]);
  });

  it('counts item usages by action', () => {
    const batch = new BatchBuilder('itemusages', 100, 1_000_000);

    batch.add(itemUsage('A', '2025-03-01T18:57:42Z', { action: 'fill' }));
    batch.add(itemUsage('B', '2025-03-01T18:57:42Z', { action: 'reveal' }));
    batch.add(itemUsage('C', '2025-03-01T18:57:42Z', { action: 'fill' }));
    batch.add(itemUsage('D', '2025-03-01T18:57:42Z', { action: undefined }));

    expect(Object.fromEntries(batch.counts)).toEqual({ fill: 2, reveal: 1 });
  });

  it('counts sign-in attempts by category', () => {
    const batch = new BatchBuilder('signinattempts', 100, 1_000_000);

    batch.add(signIn('A', 'success'));
    batch.add(signIn('B', 'credentials_failed'));
    batch.add(signIn('C', 'success'));

    expect(Object.fromEntries(batch.counts)).toEqual({ success: 2, credentials_failed: 1 });
    expect(batch.invalid).toEqual([]);
  });

  it('is full once it holds maxEvents events', () => {
    // Prepare
    const batch = new BatchBuilder('itemusages', 3, 1_000_000);

    // Act + Assess
    batch.add(itemUsage('A', '2025-03-01T18:57:42Z'));
    batch.add(itemUsage('B', '2025-03-01T18:57:42Z'));
    expect(batch.full).toBe(false);
    batch.add(itemUsage('C', '2025-03-01T18:57:42Z'));
    expect(batch.full).toBe(true);
    expect(batch.eventCount).toBe(3);
  });

  it('is full once its body reaches maxBytes, counting the newline of each line', () => {
    // Prepare
    const event = itemUsage('A', '2025-03-01T18:57:42Z');
    const lineBytes = Buffer.byteLength(JSON.stringify(event)) + 1;
    const exact = new BatchBuilder('itemusages', 100, 2 * lineBytes);
    const roomy = new BatchBuilder('itemusages', 100, 2 * lineBytes + 1);

    // Act
    for (const batch of [exact, roomy]) {
      batch.add(event);
      batch.add(event);
    }

    // Assess
    expect(exact.uncompressedBytes).toBe(2 * lineBytes);
    expect(exact.full).toBe(true);
    expect(roomy.full).toBe(false);
  });

  it('is not full when empty', () => {
    expect(new BatchBuilder('itemusages', 1, 1).full).toBe(false);
  });
  it('counts every invalid event but keeps only a few as examples for the log', async () => {
    const batch = new BatchBuilder('auditevents', 1_000, 10_000_000);
    for (let i = 0; i < 50; i++) batch.add({ uuid: `U${i}`, timestamp: 'yesterday' });

    const sealed = await batch.seal();

    expect(batch.invalidCount).toBe(50);
    expect(batch.invalid).toHaveLength(10);
    expect(batch.invalid[0]).toMatchObject({
      uuid: 'U0',
      reason: expect.stringContaining('timestamp: not an RFC 3339 timestamp'),
    });
    expect(sealed.eventCount).toBe(50);
  });

  it('refuses to add to a sealed batch', async () => {
    const batch = new BatchBuilder('itemusages', 10, 1_000_000);
    batch.add({ uuid: 'A', timestamp: '2026-01-01T00:00:00Z' });
    await batch.seal();

    expect(() => batch.add({ uuid: 'B' })).toThrow(/after seal/);
  });
});

describe('BatchBuilder with the bytes the API sent', () => {
  /** An item usage as an API might spell it, and what JSON.parse makes of it. */
  function sent(uuid: string, spelling: string): { line: Buffer; event: unknown } {
    const text =
      `{"uuid" : "${uuid}","timestamp":"2025-03-01T18:57:42.000Z","used_version":3,` +
      `"vault_uuid":"V","item_uuid":"I",${spelling}}`;
    return { line: Buffer.from(text, 'utf8'), event: JSON.parse(text) };
  }

  it('writes each given line byte for byte, where JSON.stringify would change it', async () => {
    // Prepare: spellings that a parse and re-serialisation lose or change.
    const events = [
      sent('A', '"location":{"latitude":43.70,"longitude":-79.4330}'),
      sent('B', '"aux_id":9007199254740993,"far":1e400'),
      sent('C', '"user":{"name":"Zo\u00eb","name":"Zoë ☕"}'),
      sent('D', '"client" :  {  "ip_address" : "192.0.2.1"  }'),
    ];
    const batch = new BatchBuilder('itemusages', 100, 1_000_000);

    // Act
    for (const { event, line } of events) batch.add(event, line);
    const sealed = await batch.seal();

    // Assess
    const expected = Buffer.concat(events.flatMap(({ line }) => [line, Buffer.from('\n')]));
    const body = gunzipSync(sealed.gzipped);
    expect(body.equals(expected)).toBe(true);
    for (const { event, line } of events) expect(line.toString()).not.toBe(JSON.stringify(event));
    expect(sealed.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
    expect(sealed.uncompressedBytes).toBe(expected.length);
    expect(batch.uncompressedBytes).toBe(expected.length);
    expect(sealed.eventCount).toBe(4);
  });

  it('writes the line, and validates, dates and counts the parsed event given with it', async () => {
    // Prepare
    const good = sent('GOOD', '"action":"fill"');
    const bad = {
      line: Buffer.from('{"uuid":"BAD","timestamp":"yesterday","action":"fill"}'),
      event: { uuid: 'BAD', timestamp: 'yesterday', action: 'fill' },
    };
    const batch = new BatchBuilder('itemusages', 100, 1_000_000);

    // Act
    batch.add(good.event, good.line);
    batch.add(bad.event, bad.line);
    const sealed = await batch.seal();

    // Assess
    expect(gunzipSync(sealed.gzipped).toString('utf8')).toBe(`${good.line}\n${bad.line}\n`);
    expect(batch.invalidCount).toBe(1);
    expect(batch.invalid).toEqual([{ uuid: 'BAD', reason: expect.stringContaining('timestamp') }]);
    expect(Object.fromEntries(batch.counts)).toEqual({ fill: 2 });
    expect(sealed.firstEventTime).toBe('2025-03-01T18:57:42.000Z');
  });

  it('keeps the order of lines and serialised events across compression chunks', async () => {
    // Prepare: about 1 MB, so lines are handed to gzip in several chunks.
    const filler = 'x'.repeat(5_000);
    const batch = new BatchBuilder('itemusages', 10_000, 100_000_000);
    const expected: string[] = [];

    // Act
    for (let i = 0; i < 200; i++) {
      const event = { uuid: `E${i}`, timestamp: '2025-03-01T18:57:42Z', filler, n: 1.5 };
      if (i % 3 === 0) {
        batch.add(event);
        expected.push(JSON.stringify(event));
      } else {
        const line = `{"uuid":"E${i}", "timestamp":"2025-03-01T18:57:42Z", "filler":"${filler}", "n":1.50}`;
        batch.add(event, Buffer.from(line));
        expected.push(line);
      }
    }
    const sealed = await batch.seal();

    // Assess
    expect(gunzipSync(sealed.gzipped).toString('utf8')).toBe(`${expected.join('\n')}\n`);
  });

  it('refuses a line that holds a line break, which would split the event in two', () => {
    const batch = new BatchBuilder('itemusages', 100, 1_000_000);

    expect(() => batch.add({ uuid: 'A' }, Buffer.from('{"uuid":\n"A"}'))).toThrow(/line break/);
    expect(() => batch.add({ uuid: 'A' }, Buffer.from('{"uuid":\r"A"}'))).toThrow(/line break/);
    expect(batch.eventCount).toBe(0);
  });

  it('says whether some line was re-serialised', async () => {
    const plain = new BatchBuilder('itemusages', 100, 1_000_000);
    const marked = new BatchBuilder('itemusages', 100, 1_000_000);
    const { event, line } = sent('A', '"action":"fill"');
    plain.add(event, line);
    marked.add(event, line);
    marked.add({ uuid: 'B', timestamp: '2025-03-01T18:57:42Z' });

    marked.markReserialized();

    expect((await plain.seal()).reserialized).toBe(false);
    expect(marked.reserialized).toBe(true);
    expect((await marked.seal()).reserialized).toBe(true);
  });
});
