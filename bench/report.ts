import type { Machine } from './machine';
import { formatNumber } from './support/stats';
import type { Figure, Section } from './types';

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
    'npm run bench -- catchup      # one measurement: cpu, coldstart, catchup, memory or cost',
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
    ...sections.flatMap((s) => [
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
    ]),
    '## Output of the run',
    '',
    '```text',
    input.console,
    '```',
    '',
  ].join('\n');
}
