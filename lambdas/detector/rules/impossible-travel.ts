import { describePerson } from '../../shared/detections/finding';
import { defineRule } from '../../shared/detections/rule';
import { DAY, distanceKm, refData, refOf, SUCCESSFUL_SIGNIN, signalOf } from './helpers';

/** Two successful sign-ins of one person from places too far apart for the time between them. */
export const impossibleTravel = defineRule({
  id: 'impossible-travel',
  title: 'Sign-ins from two places too far apart',
  severity: 'HIGH',
  mitre: { tactic: 'TA0001', technique: 'T1078.004', name: 'Valid Accounts: Cloud Accounts' },
  runbook:
    'Ask the person about both sign-ins (a VPN or a mobile network can place one far away). If one is not theirs, sign them out of every device and reset their password and second factor.',
  streams: ['signinattempts'],
  defaults: { maxSpeedKmh: 900, minDistanceKm: 500 },
  async evaluate(event, { settings, history }) {
    if (!event.category || !SUCCESSFUL_SIGNIN.has(event.category) || !event.person.id) return [];
    if (event.latitude === undefined || event.longitude === undefined) return [];
    const key = `impossible-travel:${event.person.id}`;
    const at = event.time ?? 0;
    const before = (await history.recall(key, at)).filter(
      (entry) => entry.at <= at && entry.id !== event.ref.uuid,
    );
    await history.remember(
      key,
      {
        id: event.ref.uuid,
        at,
        expiresAt: at + DAY,
        data: { ...refData(event), lat: event.latitude, lon: event.longitude, ip: event.ip ?? '' },
      },
      20,
    );
    const previous = before.at(-1);
    if (!previous) return [];
    // One address placed in two cities is the geolocation database, not a journey.
    if (event.ip !== undefined && previous.data?.ip === event.ip) return [];
    const km = distanceKm(
      { lat: Number(previous.data?.lat), lon: Number(previous.data?.lon) },
      { lat: event.latitude, lon: event.longitude },
    );
    const hours = Math.max((at - previous.at) / 3_600_000, 1 / 60);
    const speed = km / hours;
    if (km < settings.minDistanceKm || speed <= settings.maxSpeedKmh) return [];
    return [
      signalOf(
        event,
        `${describePerson(event.person)} signed in from ${event.ip ?? '?'}${event.country ? ` (${event.country})` : ''}, ${Math.round(km)} km from the sign-in ` +
          `${Math.round((at - previous.at) / 60_000)} min earlier from ${previous.data?.ip || '?'}: ${Math.round(speed)} km/h`,
        {
          earlier: [refOf(previous)],
          details: {
            distanceKm: Math.round(km),
            minutes: Math.round((at - previous.at) / 60_000),
            speedKmh: Math.round(speed),
          },
        },
      ),
    ];
  },
});
