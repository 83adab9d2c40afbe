import { EVENT_TYPES, type EventType } from '../../lambdas/shared/event-types';
import { classifyAudit } from '../../lambdas/shared/ocsf/map-audit';
import type { JsonObject } from '../../lambdas/shared/ocsf/mapper';
import { mapEvent } from '../../lambdas/shared/ocsf/mapping';
import { OCSF_VERSION } from '../../lambdas/shared/ocsf/version';
import { REAL_SHAPES } from '../search/support/real-shapes';
import { lostFields, missingValues } from './support/leaves';
import { validateOcsf } from './support/ocsf-schema';
import { rowsFor, simulatedMonth } from './support/streams';

/** Maps each text and returns every problem: schema errors, lost fields, lost values. */
function problems(stream: EventType, texts: readonly string[]): string[] {
  return texts.flatMap((text) => {
    const event = JSON.parse(text) as JsonObject;
    const record = mapEvent(stream, event);
    const id = String(event.uuid);
    return [
      ...validateOcsf(record).map((e) => `${id}: ${e}`),
      ...lostFields(event, record, rowsFor(stream, event)).map((p) => `${id}: lost field ${p}`),
      ...missingValues(event, record).map((v) => `${id}: lost value ${v}`),
    ];
  });
}

describe.each(EVENT_TYPES)('%s to OCSF', (stream) => {
  it('maps every published shape to a valid record and loses no field or value', () => {
    expect(REAL_SHAPES[stream].length).toBeGreaterThan(3);
    expect(problems(stream, REAL_SHAPES[stream])).toEqual([]);
  });

  it('maps a month of simulated events, in every shape the simulator makes, to valid records', () => {
    expect(problems(stream, simulatedMonth(stream, 3000))).toEqual([]);
  });

  it(`writes OCSF ${OCSF_VERSION} and says so in every record`, () => {
    const record = mapEvent(stream, JSON.parse(REAL_SHAPES[stream][0] ?? '{}'));
    expect(record.metadata).toMatchObject({ version: '1.1.0', product: { vendor_name: '1Password' } });
  });
});

describe('sign-in attempts', () => {
  const attempt = (category: string) =>
    mapEvent('signinattempts', {
      uuid: 'S1',
      session_uuid: 'SE1',
      timestamp: '2026-03-01T10:00:00Z',
      category,
      type: 'x',
      country: 'US',
      target_user: { uuid: 'U1', name: 'Ana', email: 'ana@example.com' },
      client: { ip_address: '192.0.2.1' },
    });

  it('is an Authentication Logon whose status is the category', () => {
    expect(attempt('success')).toMatchObject({
      class_uid: 3002,
      activity_id: 1,
      type_uid: 300201,
      status_id: 1,
    });
    expect(attempt('firewall_reported_success').status_id).toBe(1);
    for (const failed of [
      'credentials_failed',
      'mfa_failed',
      'sso_failed',
      'modern_version_failed',
      'firewall_failed',
    ])
      expect(attempt(failed).status_id).toBe(2);
    expect(attempt('a_category_added_later')).toMatchObject({
      status_id: 99,
      metadata: { event_code: 'a_category_added_later' },
    });
  });

  it('names the user and the address', () => {
    expect(attempt('success')).toMatchObject({
      user: { uid: 'U1', name: 'Ana', email_addr: 'ana@example.com' },
      src_endpoint: { ip: '192.0.2.1' },
      session: { uid: 'SE1' },
      time: Date.parse('2026-03-01T10:00:00Z'),
    });
  });
});

describe('item usages', () => {
  const usage = (action?: string) =>
    mapEvent('itemusages', {
      uuid: 'I1',
      timestamp: '2026-03-01T10:00:00Z',
      used_version: 3,
      vault_uuid: 'v1',
      item_uuid: 'i1',
      ...(action ? { action } : {}),
      user: { uuid: 'U1', name: 'Ana', email: 'ana@example.com' },
      client: { ip_address: '1.1.1.1.1', os_name: 'MacOSX' },
    });

  it('is Entity Management on the item: server writes are Create and Update, the rest Read', () => {
    expect(usage('server-create')).toMatchObject({ class_uid: 3004, activity_id: 1 });
    expect(usage('server-update').activity_id).toBe(3);
    for (const read of ['reveal', 'fill', 'secure-copy', 'export', 'share', 'server-fetch'])
      expect(usage(read).activity_id).toBe(2);
    expect(usage().activity_id).toBe(2);
    expect(usage('teleport').activity_id).toBe(99);
    expect(usage('fill').entity).toEqual({
      type: 'item',
      uid: 'i1',
      version: '3',
      data: { vault_uuid: 'v1' },
    });
  });

  it('keeps an address that is no address, and the device it came with, in unmapped', () => {
    const record = usage('fill');
    expect(record.device).toBeUndefined();
    expect(record.unmapped).toEqual({ client: { ip_address: '1.1.1.1.1', os_name: 'MacOSX' } });
  });
});

describe('audit events', () => {
  it.each([
    ['provsn', 'user', 3001, 1],
    ['suspend', 'user', 3001, 5],
    ['reactive', 'user', 3001, 2],
    ['delete', 'user', 3001, 6],
    ['changemp', 'user', 3001, 3],
    ['enblmfa', 'user', 3001, 10],
    ['changenm', 'user', 3001, 99],
    ['role', 'user', 3005, 1],
    ['grant', 'uva', 3005, 1],
    ['revoke', 'uva', 3005, 2],
    ['create', 'group', 3006, 6],
    ['delete', 'group', 3006, 5],
    ['join', 'gm', 3006, 3],
    ['leave', 'gm', 3006, 4],
    ['grant', 'gva', 3006, 1],
    ['revoke', 'gva', 3006, 2],
    ['create', 'vault', 3004, 1],
    ['export', 'items', 3004, 2],
    ['update', 'item', 3004, 3],
    ['delete', 'sa', 3004, 4],
    ['activate', 'device', 3004, 99],
  ])('%s on %s is class %d, activity %d', (action, objectType, classUid, activityId) => {
    const c = classifyAudit(action, objectType);
    expect([c.ocsfClass.uid, c.activity.id]).toEqual([classUid, activityId]);
  });

  it('puts the group member in user and the group in group', () => {
    const record = mapEvent('auditevents', {
      uuid: 'A1',
      timestamp: '2026-03-01T10:00:00.123456789Z',
      actor_uuid: 'ACTOR',
      action: 'join',
      object_type: 'gm',
      object_uuid: 'GROUP',
      aux_uuid: 'MEMBER',
      aux_details: { uuid: 'MEMBER', name: 'Ana', email: 'ana@example.com' },
      session: {
        uuid: 'SESSION',
        login_time: '2026-03-01T09:00:00.123456789Z',
        device_uuid: 'dev',
        ip: '192.0.2.9',
      },
    });
    expect(record).toMatchObject({
      class_uid: 3006,
      activity_id: 3,
      group: { uid: 'GROUP' },
      user: { uid: 'MEMBER', name: 'Ana', email_addr: 'ana@example.com' },
      actor: {
        user: { uid: 'ACTOR' },
        session: { uid: 'SESSION', created_time: Date.parse('2026-03-01T09:00:00.123Z') },
      },
      device: { uid: 'dev', ip: '192.0.2.9' },
      metadata: { original_time: '2026-03-01T10:00:00.123456789Z' },
      // The login time's nanoseconds do not fit created_time: the original stays too.
      unmapped: { session: { login_time: '2026-03-01T09:00:00.123456789Z' } },
    });
  });
});

describe('the schema validator', () => {
  const valid = () => mapEvent('signinattempts', JSON.parse(REAL_SHAPES.signinattempts[0] ?? '{}'));

  it('accepts a mapped record', () => {
    expect(validateOcsf(valid())).toEqual([]);
  });

  it('refuses missing required attributes, wrong types, unknown enum values and attributes, and a wrong type_uid', () => {
    const record = valid() as JsonObject;
    delete record.metadata;
    record.status_id = 7;
    record.type_uid = 1;
    record.invented = true;
    (record.user as JsonObject).email_addr = 3;
    expect(validateOcsf(record)).toEqual(
      expect.arrayContaining([
        'metadata: required',
        'status_id: 7 is not one of 0, 1, 2, 99',
        'type_uid 1 is not class_uid * 100 + activity_id',
        'invented: not an attribute here',
        'user.email_addr: 3 is not email_t',
      ]),
    );
  });

  it('refuses an unknown class and an object with none of its identifying attributes', () => {
    expect(validateOcsf({ class_uid: 9999 })).toEqual(['class_uid 9999: no such class']);
    const record = valid() as JsonObject;
    record.user = { email_addr: 'ana@example.com' };
    expect(validateOcsf(record)).toContain('user.: needs one of account, name, uid');
  });
});
