/**
 * Compares the shapes of published Events API sample events with what the simulator
 * generates: per stream, how often each field is present and which spelling it takes
 * (see shape-metrics.ts), as markdown tables.
 *
 *   npx tsx dev/simulator/measure-shapes.ts --samples <folder>            # print the tables
 *   npx tsx dev/simulator/measure-shapes.ts --samples <folder> --write    # and put them in SHAPES.md
 *
 * `--samples` is a folder of sample files as their projects publish them, found by walking it:
 * API pages (`{"items": [...]}`), test inputs that wrap each event as a JSON string
 * (`{"events": [{"message": "..."}]}`), mock-server configurations (`body: |-` lines holding
 * a page) and rule files whose tests hold events under `Log:` (YAML). Files of any other kind
 * (pipeline outputs, specifications) are passed over. Without `--samples`, only the simulator
 * is measured. `--events` (20000) events per stream are generated with `--seed` (1).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulator } from './server';
import { measureShapes, metricsFor, type ShapeCounts, shareOf } from './shape-metrics';
import { FEATURES, type Feature } from './types';

type Event = Record<string, unknown>;

const DAY_MS = 86_400_000;
const SHAPES_FILE = resolve(__dirname, 'SHAPES.md');
const START = '<!-- measured:start -->';
const END = '<!-- measured:end -->';

const TITLES: Record<Feature, string> = {
  signinattempts: 'Sign-in attempts',
  itemusages: 'Item usages',
  auditevents: 'Audit events',
};

export interface SampleSet {
  /** Events by stream, each with the file it came from (relative to the folder). */
  readonly events: Record<Feature, Event[]>;
  /** Events found per file. */
  readonly files: ReadonlyMap<string, number>;
}

/** Every sample event under a folder, by stream. */
export function loadSamples(folder: string): SampleSet {
  const events: Record<Feature, Event[]> = { signinattempts: [], itemusages: [], auditevents: [] };
  const files = new Map<string, number>();
  for (const path of walk(folder)) {
    const found = eventsIn(readFileSync(path, 'utf8'), path);
    if (found.length === 0) continue;
    files.set(relative(folder, path), found.length);
    for (const event of found) {
      const stream = streamOf(event);
      if (stream) events[stream].push(event);
    }
  }
  return { events, files };
}

function walk(folder: string): string[] {
  return readdirSync(folder)
    .sort()
    .flatMap((name) => {
      const path = join(folder, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

function eventsIn(content: string, path: string): Event[] {
  const text = content.replace(/\r\n/g, '\n');
  if (path.endsWith('.json')) {
    const parsed = parseJson(text);
    if (Array.isArray(parsed?.items)) return parsed.items.filter(isObject);
    if (Array.isArray(parsed?.events)) {
      return parsed.events.flatMap((wrapper: unknown) => {
        const message = isObject(wrapper) ? wrapper.message : undefined;
        const event = typeof message === 'string' ? parseJson(message) : undefined;
        return event ? [event] : [];
      });
    }
    return [];
  }
  if (/\.ya?ml$/.test(path)) return [...mockBodies(text), ...ruleTestLogs(text)];
  return [];
}

/** `body: |-` followed by one indented line holding a page, as in a mock server's rules. */
function mockBodies(text: string): Event[] {
  const lines = text.split('\n');
  const events: Event[] = [];
  lines.forEach((line, index) => {
    if (!/^\s*body: \|-?\s*$/.test(line)) return;
    const page = parseJson(lines[index + 1]?.trim() ?? '');
    if (Array.isArray(page?.items)) events.push(...page.items.filter(isObject));
  });
  return events;
}

/** The events under each `Log:` key: a flow mapping (JSON with trailing commas) or a block mapping. */
function ruleTestLogs(text: string): Event[] {
  const lines = text.split('\n');
  const events: Event[] = [];
  lines.forEach((line, index) => {
    const match = /^(\s*)(?:- )?Log:\s*$/.exec(line);
    if (!match) return;
    const indent = line.indexOf('Log:');
    const block: string[] = [];
    for (const next of lines.slice(index + 1)) {
      if (next.trim() !== '' && indentOf(next) <= indent) break;
      block.push(next);
    }
    const body = block.join('\n').trim();
    const event = body.startsWith('{') ? parseJson(body.replace(/,(\s*[}\]])/g, '$1')) : blockMapping(block);
    if (event) events.push(event);
  });
  return events;
}

const indentOf = (line: string) => line.length - line.trimStart().length;

/** A YAML block mapping of scalars and nested mappings, the only kind the rule files use for events. */
function blockMapping(lines: readonly string[]): Event {
  const root: Event = {};
  const stack: { indent: number; into: Event }[] = [{ indent: -1, into: root }];
  for (const line of lines) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const indent = indentOf(line);
    const match = /^(?:"([^"]*)"|([^:]+)):\s*(.*)$/.exec(line.trim());
    if (!match) continue;
    while ((stack.at(-1)?.indent ?? -1) >= indent) stack.pop();
    const parent = stack.at(-1)?.into ?? root;
    const key = match[1] ?? match[2]?.trim() ?? '';
    const value = match[3] ?? '';
    if (value === '') {
      const child: Event = {};
      parent[key] = child;
      stack.push({ indent, into: child });
    } else parent[key] = scalar(value);
  }
  return root;
}

function scalar(value: string): unknown {
  if (value.startsWith('"')) return parseJson(value) ?? value;
  if (value.startsWith("'")) return value.slice(1, -1).replace(/''/g, "'");
  if (/^-?\d+$/.test(value)) return Number(value);
  if (value === 'null' || value === '~') return null;
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}

// biome-ignore lint/suspicious/noExplicitAny: sample files are read as loosely as they are written.
function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Event =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Which stream an event belongs to, from the fields only that stream has. */
function streamOf(event: Event): Feature | undefined {
  if ('category' in event && 'type' in event) return 'signinattempts';
  if ('item_uuid' in event || 'vault_uuid' in event) return 'itemusages';
  if ('object_type' in event) return 'auditevents';
  return undefined;
}

/** What the simulator generates, as it stores (and serves on v2) its events. */
export async function generated(count: number, seed: number): Promise<Record<Feature, Event[]>> {
  const sim = await startSimulator({ seed, rateLimit: false });
  try {
    const now = Date.now();
    const events = {} as Record<Feature, Event[]>;
    for (const feature of FEATURES)
      events[feature] = sim.generate(feature, count, { from: now - 30 * DAY_MS, to: now });
    return events;
  } finally {
    await sim.close();
  }
}

const percent = (share: number) => `${(share * 100).toFixed(share > 0 && share < 0.01 ? 2 : 1)}%`;
const cell = (measured: ShapeCounts | undefined, id: string) =>
  measured === undefined || measured.total === 0
    ? '–'
    : `${measured.counts.get(id) ?? 0} (${percent(shareOf(measured, id))})`;

/** The tables, one per stream: each shape's count in the samples and its share in the simulator's events. */
export function renderTables(samples: SampleSet | undefined, simulated: Record<Feature, Event[]>): string {
  const out: string[] = [];
  for (const stream of FEATURES) {
    const real = samples ? measureShapes(stream, samples.events[stream]) : undefined;
    const sim = measureShapes(stream, simulated[stream]);
    out.push(`### ${TITLES[stream]} (\`${stream}\`)`, '');
    out.push(
      `| shape | published samples (${real?.total ?? '–'} events) | simulator (${sim.total.toLocaleString('en-US')} events) |`,
      '| --- | ---: | ---: |',
    );
    for (const metric of metricsFor(stream)) {
      out.push(`| ${metric.label} | ${cell(real, metric.id)} | ${percent(shareOf(sim, metric.id))} |`);
    }
    const apps = [...new Set([...(real?.appNames.keys() ?? []), ...sim.appNames.keys()])].sort();
    if (apps.length > 0) {
      out.push('', `| \`client.app_name\` | published samples | simulator |`, '| --- | ---: | ---: |');
      for (const app of apps) {
        const realCount = real?.appNames.get(app) ?? 0;
        const simShare = (sim.appNames.get(app) ?? 0) / Math.max(1, sim.total);
        out.push(
          `| ${app} | ${real ? `${realCount} (${percent(realCount / Math.max(1, real.total))})` : '–'} | ${percent(simShare)} |`,
        );
      }
    }
    out.push('');
  }
  if (samples) {
    out.push('Sample files read (events found):', '');
    for (const [file, count] of samples.files) out.push(`- \`${file}\`: ${count}`);
    out.push('');
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      samples: { type: 'string' },
      events: { type: 'string', default: '20000' },
      seed: { type: 'string', default: '1' },
      write: { type: 'boolean', default: false },
    },
  });
  const samples = values.samples ? loadSamples(resolve(values.samples)) : undefined;
  const tables = renderTables(samples, await generated(Number(values.events), Number(values.seed)));
  process.stdout.write(tables);
  if (values.write) {
    const current = readFileSync(SHAPES_FILE, 'utf8');
    const start = current.indexOf(START);
    const end = current.indexOf(END);
    if (start < 0 || end < start) throw new Error(`${SHAPES_FILE} has no ${START} … ${END} section`);
    writeFileSync(SHAPES_FILE, `${current.slice(0, start + START.length)}\n${tables}${current.slice(end)}`);
    process.stderr.write(`Wrote the tables into ${SHAPES_FILE}\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
