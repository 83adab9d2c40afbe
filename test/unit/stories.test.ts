import { createAccount } from '../../dev/simulator/account';
import { startSimulator } from '../../dev/simulator/index';
import { createRandom } from '../../dev/simulator/random';
import { playStory, STORY_NAMES, type Story, type StoryName } from '../../dev/simulator/stories';
import { eventInstant } from '../../dev/simulator/time';
import { RULES } from '../../lambdas/detector/rules';
import { DetectionEngine } from '../../lambdas/shared/detections/engine';
import { viewEvent } from '../../lambdas/shared/detections/event-view';
import { MemoryHistory } from '../../lambdas/shared/detections/history';
import { EMPTY_WATCHLISTS } from '../../lambdas/shared/detections/rule';

const AT = Date.parse('2026-11-20T14:00:00Z');
const account = (seed: number) => createAccount(createRandom(seed, 'account'), 'Q4M7XHBDZNGJ5CRUO2EK6LYWTA');

/** The rules that fire on the story alone, in time order, with in-memory history. */
async function rulesFiredBy(story: Story): Promise<string[]> {
  const engine = new DetectionEngine(
    RULES,
    { watchlists: EMPTY_WATCHLISTS, rules: {}, suppressions: [] },
    new MemoryHistory(),
    'test',
  );
  const fired: string[] = [];
  for (const [index, { feature, event }] of story.events.entries()) {
    const view = viewEvent(
      { stream: feature, uuid: String(event.uuid), key: `source=test/type=${feature}/x`, line: index + 1 },
      event,
    );
    for (const finding of (await engine.evaluate(view)).findings) fired.push(finding.ruleId);
  }
  return fired;
}

describe('attack stories', () => {
  it.each(STORY_NAMES)('%s makes the same events from the same seed, and others from another', (name) => {
    const first = playStory(name, account(7), { seed: 7, at: AT });
    const again = playStory(name, account(7), { seed: 7, at: AT });
    const other = playStory(name, account(8), { seed: 8, at: AT });
    expect(again).toEqual(first);
    expect(other.events.map((e) => e.event.uuid)).not.toEqual(first.events.map((e) => e.event.uuid));
  });

  it.each(STORY_NAMES)('%s fires the rules it names, and only those', async (name: StoryName) => {
    for (const seed of [1, 7, 42]) {
      const story = playStory(name, account(seed), { seed, at: AT });
      const fired = await rulesFiredBy(story);
      expect(new Set(fired)).toEqual(new Set(story.expects));
    }
  });

  it.each(STORY_NAMES)(
    '%s ends at its time, in time order, with time stamps that say the instant',
    (name) => {
      const story = playStory(name, account(3), { seed: 3, at: AT });
      const instants = story.events.map((e) => e.at.ms);
      expect(instants).toEqual([...instants].sort((a, b) => a - b));
      expect(Math.max(...instants)).toBeLessThanOrEqual(AT);
      expect(Math.max(...instants)).toBeGreaterThan(AT - 2_000);
      for (const { event, at } of story.events) expect(eventInstant(String(event.timestamp))).toEqual(at);
    },
  );

  it('tells a brute force: failures from one IP, a success from there in another country, an export', () => {
    const people = account(5).people;
    const story = playStory('brute-force-then-export', account(5), { seed: 5, at: AT });
    const signins = story.events.filter((e) => e.feature === 'signinattempts').map((e) => e.event);
    const failures = signins.filter((e) => e.category === 'credentials_failed');
    const first = failures[0] as { client: { ip_address: string }; target_user: { uuid: string } };
    const attackerIp = first.client.ip_address;
    expect(failures.length).toBeGreaterThanOrEqual(10);
    expect(new Set(failures.map((e) => (e.client as { ip_address: string }).ip_address))).toEqual(
      new Set([attackerIp]),
    );
    const victim = first.target_user.uuid;
    const home = people.find((p) => p.uuid === victim)?.home;
    const success = signins.at(-1);
    expect(success).toMatchObject({ category: 'success', client: { ip_address: attackerIp } });
    expect(success?.country).not.toBe(home?.iso);
    const exported = story.events.filter((e) => e.event.action === 'export');
    expect(exported.map((e) => e.feature)).toContain('auditevents');
    expect(
      exported.every((e) => (e.event.actor_uuid ?? (e.event.user as { uuid: string }).uuid) === victim),
    ).toBe(true);
  });

  it('tells a self-grant: a uva grant naming the actor, then reveals and copies in that vault', () => {
    const story = playStory('admin-self-grant', account(9), { seed: 9, at: AT });
    const [grant, ...uses] = story.events.map((e) => e.event);
    expect(grant).toMatchObject({ action: 'grant', object_type: 'uva', aux_uuid: grant?.actor_uuid });
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) {
      expect(use).toMatchObject({ vault_uuid: grant?.object_uuid, user: { uuid: grant?.actor_uuid } });
      expect(['reveal', 'secure-copy']).toContain(use.action);
    }
  });

  it('plays a story in the simulator, mixed into its traffic and served with it', async () => {
    const sim = await startSimulator({ seed: 4, rateLimit: false, now: () => AT });
    try {
      sim.generate('signinattempts', 50, { from: AT - 3_600_000, to: AT });
      const story = sim.playStory('impossible-travel', { at: AT - 60_000 });
      const served = sim.events('signinattempts').map((e) => e.uuid);
      for (const { event } of story.events) expect(served).toContain(event.uuid);
      expect(served).toHaveLength(50 + story.events.length);
    } finally {
      await sim.close();
    }
  });
});
