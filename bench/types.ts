/** The measurements `npm run bench` knows, in the order a full run performs them. */
export const MEASUREMENTS = [
  'cpu',
  'coldstart',
  'catchup',
  'memory',
  'cost',
  'dropoff',
  'detections',
  'ocsf',
] as const;

export type MeasurementName = (typeof MEASUREMENTS)[number];

/** `info` marks a figure printed for context, with no target of its own. */
export type Verdict = 'pass' | 'fail' | 'info';

/** One line of the results table. */
export interface Figure {
  readonly label: string;
  readonly value: string;
  readonly target: string;
  readonly verdict: Verdict;
}

/** What a measurement hands to the report: its figures, and how they were obtained. */
export interface Section {
  readonly name: MeasurementName;
  readonly title: string;
  readonly figures: Figure[];
  /** Markdown: how the figures were measured. */
  readonly method: string;
  /** Markdown: tables and notes that explain the figures. */
  readonly details: string;
  /** Markdown: what the figures mean, and for a missed target what holds it back and what would change it. */
  readonly findings: string;
  readonly durationMs: number;
}

export interface BenchOptions {
  /** A shorter run: fewer repetitions, a one-minute catch-up, a ten-run idle sample. */
  readonly quick: boolean;
  /** Progress lines, on stderr so that stdout stays the results table. */
  readonly progress: (line: string) => void;
}

export function figure(label: string, value: string, target: string, verdict: Verdict): Figure {
  return { label, value, target, verdict };
}

export function verdictOf(passed: boolean): Verdict {
  return passed ? 'pass' : 'fail';
}
