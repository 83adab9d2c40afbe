/**
 * Runs the Events API simulator on its own, for trying a client by hand:
 *
 *   npx tsx dev/simulator/main.ts --port 8080 --events 1000
 *
 * Options: --host (127.0.0.1), --port (8080), --events per feature (1000), --days of history (7),
 * --seed (1), --live N (every N seconds add a few new events to each feed; 0 = off),
 * --page-style compact|spaced|pretty (compact; how pages are spelled, see `PageStyle`),
 * --story NAME (repeatable: an attack from `stories.ts` among the history, ending an hour ago).
 */
import { parseArgs } from 'node:util';
import { startSimulator } from './server';
import { STORY_NAMES, type StoryName } from './stories';
import { FEATURES, type PageStyle } from './types';

const PAGE_STYLES: readonly PageStyle[] = ['compact', 'spaced', 'pretty'];

const DAY_MS = 86_400_000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      events: { type: 'string', default: '1000' },
      days: { type: 'string', default: '7' },
      seed: { type: 'string', default: '1' },
      live: { type: 'string', default: '0' },
      'page-style': { type: 'string', default: 'compact' },
      story: { type: 'string', multiple: true, default: [] },
    },
  });
  const pageStyle = values['page-style'] as PageStyle;
  if (!PAGE_STYLES.includes(pageStyle))
    throw new Error(`--page-style must be one of ${PAGE_STYLES.join(', ')}`);
  const stories = values.story as string[];
  for (const name of stories)
    if (!(STORY_NAMES as readonly string[]).includes(name))
      throw new Error(`--story ${name}: the stories are ${STORY_NAMES.join(', ')}`);
  const number = (name: Exclude<keyof typeof values, 'story'>) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number`);
    return value;
  };
  const sim = await startSimulator({
    host: values.host,
    port: number('port'),
    seed: number('seed'),
    pageStyle,
  });
  const now = Date.now();
  for (const feature of FEATURES)
    sim.generate(feature, number('events'), { from: now - number('days') * DAY_MS, to: now });
  for (const name of stories) sim.playStory(name as StoryName, { at: now - 3_600_000 });

  const liveSeconds = number('live');
  const live =
    liveSeconds > 0
      ? setInterval(() => {
          const to = Date.now();
          for (const feature of FEATURES)
            sim.generate(feature, 1 + (to % 5), { from: to - liveSeconds * 1000, to });
        }, liveSeconds * 1000)
      : undefined;

  const token = sim.mintToken();
  process.stdout.write(
    [
      `1Password Events API simulator listening on ${sim.url}`,
      `${number('events')} events per feature over the last ${number('days')} days (seed ${number('seed')})`,
      '',
      'Token (local demo token, accepted only by this process):',
      token,
      '',
      'Try:',
      `  curl -s -X POST ${sim.url}/api/v2/auditevents -H "Authorization: Bearer ${token}" \\`,
      `    -H 'Content-Type: application/json' -d '{"limit":2,"start_time":"2020-01-01T00:00:00Z"}'`,
      '',
      'Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  const stop = () => {
    if (live) clearInterval(live);
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
