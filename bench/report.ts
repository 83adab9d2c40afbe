import type { Machine } from './machine';
import { formatNumber } from './support/stats';
import { type Figure, MEASUREMENTS, type Section } from './types';

const MARK: Record<Figure['verdict'], string> = { pass: 'pass', fail: 'FAIL', info: '' };

/** The results table as printed on the console. */
export function consoleTable(sections: readonly Section[]): string {
  const rows = sections.flatMap((s) => s.figures.map((f) => [f.label, f.value, f.target, MARK[f.verdict]]));
  const header = ['figure', 'value', 'target', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** One section as the report writes it, from its `## title` to the line before the next. */
export function sectionMarkdown(s: Section): string[] {
  return [
    `## ${s.title}`,
    '',
    '### Method',
    '',
    s.method,
    '',
    '### Results',
    '',
    s.details,
    '',
    ...(s.findings ? ['### Findings', '', s.findings, ''] : []),
  ];
}

/**
 * `current` (a BENCHMARKS.md) with `sections` put in: each replaces its own rows in the results
 * table and its own `## title` part, or is added before the run's output.
 */
export function spliceSections(current: string, sections: readonly Section[]): string {
  let text = current;
  const cell = (value: string) => value.replace(/\|/g, '\\|');
  for (const s of sections) {
    const rows = s.figures.map(
      (f) =>
        `| ${cell(f.label)} | ${cell(f.value)} | ${cell(f.target)} | ${f.verdict === 'fail' ? '**fail**' : MARK[f.verdict]} |`,
    );
    const prefix = `| ${s.title.split(':')[0]}:`;
    const lines = text.split('\n').filter((line) => !line.startsWith(prefix));
    // The results table: the first run of `| ` lines after `## Results`.
    const results = lines.indexOf('## Results');
    let lastRow = -1;
    for (let i = results + 1; results >= 0 && i < lines.length; i++) {
      if (lines[i]?.startsWith('| ')) lastRow = i;
      else if (lastRow >= 0) break;
    }
    if (lastRow >= 0) lines.splice(lastRow + 1, 0, ...rows);
    text = lines.join('\n');
    const body = sectionMarkdown(s).join('\n');
    const start = text.indexOf(`## ${s.title}\n`);
    if (start >= 0) {
      const next = text.indexOf('\n## ', start + 3);
      text = `${text.slice(0, start)}${body}${next >= 0 ? text.slice(next + 1) : ''}`;
    } else {
      const output = text.indexOf('## Output of the run');
      text = output >= 0 ? `${text.slice(0, output)}${body}\n${text.slice(output)}` : `${text}\n${body}\n`;
    }
  }
  return text;
}

export function markdown(input: {
  readonly sections: readonly Section[];
  readonly machine: Machine;
  readonly loadAtEnd: number;
  readonly quick: boolean;
  readonly totalMs: number;
  readonly console: string;
}): string {
  const { sections, machine } = input;
  const failed = sections.flatMap((s) => s.figures).filter((f) => f.verdict === 'fail');
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  return [
    '# Benchmarks',
    '',
    `Throughput, cold start, memory and cost of the connector, measured by \`npm run bench\`, which wrote this file${input.quick ? ' (a `--quick` run: shorter samples)' : ''}. It needs no AWS account: the collector runs against the project's Events API simulator, dynalite, s3rver and a Secrets Manager stand-in, and the cost model prices the calls it counted.`,
    '',
    '```sh',
    `npm run bench                 # everything, about ${formatNumber(Math.ceil(input.totalMs / 60_000))} minutes here; rewrites BENCHMARKS.md`,
    'npm run bench -- --quick      # shorter samples',
    `npm run bench -- catchup      # one measurement: ${MEASUREMENTS.slice(0, -1).join(', ')} or ${MEASUREMENTS.at(-1)}`,
    '```',
    '',
    '## Machine',
    '',
    '| | |',
    '| --- | --- |',
    `| CPU | ${machine.cpu}, ${machine.cores} cores |`,
    `| Memory | ${machine.memory} |`,
    `| Node.js | ${machine.node} |`,
    `| OS | ${machine.os} |`,
    `| Date | ${machine.date} |`,
    `| Load average (1 min) at start / end | ${machine.loadAtStart.toFixed(2)} / ${input.loadAtEnd.toFixed(2)} |`,
    '',
    'The figures are from one run on this machine; timings move with other work on it (the load average above), so compare runs on the same machine.',
    '',
    '## Results',
    '',
    '| figure | value | target | result |',
    '| --- | --- | --- | --- |',
    ...sections.flatMap((s) =>
      s.figures.map(
        (f) =>
          `| ${cell(f.label)} | ${cell(f.value)} | ${cell(f.target)} | ${f.verdict === 'fail' ? '**fail**' : MARK[f.verdict]} |`,
      ),
    ),
    '',
    failed.length === 0
      ? 'Every target is met.'
      : `${failed.length} target${failed.length > 1 ? 's are' : ' is'} missed; each section below says what holds it back, measured, and what would change it.`,
    '',
    ...sections.flatMap(sectionMarkdown),
    '## Output of the run',
    '',
    '```text',
    input.console,
    '```',
    '',
  ].join('\n');
}
