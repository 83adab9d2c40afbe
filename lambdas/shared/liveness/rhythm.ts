/**
 * A stream's rhythm: for each hour of the week, the longest silence between its events seen
 * there lately. The drop-off verdict compares the silence in progress with it, so that a
 * stream quiet every weekend raises nothing on Saturday, and a busy one that stops on a
 * Tuesday morning is reported within the hour (README, "Drop-off: a learned rhythm").
 *
 * The model is small on purpose: 168 slots of (silence, week), folded with a weekly decay.
 * It learns from event times, not from run times, so a collector that was down, or a
 * schedule of five minutes, teaches it nothing false.
 */

export const HOUR_MS = 3_600_000;
export const HOURS_PER_WEEK = 168;
const WEEK_MS = HOURS_PER_WEEK * HOUR_MS;
/** 1970-01-01 was a Thursday: slot 0 is Monday 00:00–01:00 UTC. */
const EPOCH_OFFSET_MS = 72 * HOUR_MS;
/** Stored in whole minutes as 16 bits: about 45 days, longer than any ceiling allowed. */
const MAX_MINUTES = 0xffff;
/** A gap longer than this teaches only its first two weeks of slots. */
const MAX_SLOTS_PER_GAP = 2 * HOURS_PER_WEEK;

export interface RhythmSettings {
  /** How many times the usual silence a silence may last before it is a drop-off. */
  readonly factor: number;
  /** Weight a slot's silence keeps from one week to the next. */
  readonly decay: number;
  /** The shortest silence ever reported, whatever was learned. */
  readonly minimumMs: number;
  /** How long the stream must have been watched before its rhythm is used instead of the fixed window. */
  readonly learningMs: number;
}

/**
 * Three times the usual silence, never under two hours; used once the stream has been
 * watched two weeks, each week weighing 0.9 of the one after it (a silence stays covered
 * for ten weeks: 3 × 0.9¹⁰ ≥ 1). Chosen on the simulated months of `npm run bench --
 * dropoff`, against twice / 0.8 / 1 h and four times (BENCHMARKS.md, "Drop-off").
 */
export const DEFAULT_RHYTHM_SETTINGS: RhythmSettings = {
  factor: 3,
  decay: 0.9,
  minimumMs: 2 * HOUR_MS,
  learningMs: 14 * 24 * HOUR_MS,
};

/** Hour of the week (0 = Monday 00:00 UTC) of an instant. */
export function hourOfWeek(ms: number): number {
  return Math.floor(((ms + EPOCH_OFFSET_MS) % WEEK_MS) / HOUR_MS);
}

/** Weeks since the Monday before the epoch. */
export function weekOf(ms: number): number {
  return Math.floor((ms + EPOCH_OFFSET_MS) / WEEK_MS);
}

/** When a silence becomes a drop-off, and why. */
export interface SilenceLimit {
  readonly ms: number;
  /**
   * `learning`: the rhythm is not known yet, the fixed window applies; `learned`: factor ×
   * the usual silence, within the minimum and the ceiling; `ceiling`: the learned limit
   * would pass the ceiling, which bounds it.
   */
  readonly basis: 'learning' | 'learned' | 'ceiling';
  /** The longest silence seen lately around this hour of the week (learned only). */
  readonly usualMs?: number;
}

/** The fixed bounds a deployment gives a stream. */
export interface SilenceBounds {
  /** The window while the rhythm is learned (and with learning off): `dropOffHours`. */
  readonly fixedMs: number;
  /** The longest silence tolerated once learned: `dropOffCeilingHours`. */
  readonly ceilingMs: number;
}

export class StreamRhythm {
  private constructor(
    /** Per slot, the silence in minutes as of the slot's week. */
    private readonly minutes: Float64Array,
    /** Per slot, the week of its last update; -1 if never. */
    private readonly weeks: Int32Array,
    /** The first instant learned from: how long the stream has been watched. */
    private learningSince: number | undefined,
    /** The newest event time seen: the start of the silence now in progress. */
    private newest: number | undefined,
    private readonly settings: RhythmSettings,
  ) {}

  static empty(settings: RhythmSettings = DEFAULT_RHYTHM_SETTINGS): StreamRhythm {
    return new StreamRhythm(
      new Float64Array(HOURS_PER_WEEK),
      new Int32Array(HOURS_PER_WEEK).fill(-1),
      undefined,
      undefined,
      settings,
    );
  }

  /** Reads what {@link encode} wrote; anything malformed starts over (the fixed window applies meanwhile). */
  static decode(
    stored: { slots?: Uint8Array; since?: number } | undefined,
    settings: RhythmSettings = DEFAULT_RHYTHM_SETTINGS,
  ): StreamRhythm {
    const rhythm = StreamRhythm.empty(settings);
    const slots = stored?.slots;
    if (!slots || slots.length !== HOURS_PER_WEEK * 4 || typeof stored.since !== 'number') return rhythm;
    const view = new DataView(slots.buffer, slots.byteOffset, slots.byteLength);
    for (let slot = 0; slot < HOURS_PER_WEEK; slot++) {
      rhythm.minutes[slot] = view.getUint16(slot * 4);
      const week = view.getUint16(slot * 4 + 2);
      rhythm.weeks[slot] = week === 0xffff ? -1 : week;
    }
    rhythm.learningSince = stored.since;
    return rhythm;
  }

  /** 672 bytes of slots (minutes and week, 16 bits each), and when learning started. */
  encode(): { slots: Uint8Array; since: number | undefined } {
    const slots = new Uint8Array(HOURS_PER_WEEK * 4);
    const view = new DataView(slots.buffer);
    for (let slot = 0; slot < HOURS_PER_WEEK; slot++) {
      view.setUint16(slot * 4, Math.min(MAX_MINUTES, Math.ceil(this.minutes[slot] ?? 0)));
      const week = this.weeks[slot] ?? -1;
      view.setUint16(slot * 4 + 2, week < 0 ? 0xffff : week);
    }
    return { slots, since: this.learningSince };
  }

  /**
   * Where the next silence starts: the newest event the stream archived before this run
   * (its state item keeps it). A rhythm is written only when a slot changes, so its own
   * idea of the newest event may be older.
   */
  resumeAfter(newestArchivedMs: number | undefined): this {
    if (newestArchivedMs !== undefined && Number.isFinite(newestArchivedMs)) {
      this.newest = Math.max(this.newest ?? newestArchivedMs, newestArchivedMs);
      this.learningSince ??= newestArchivedMs;
    }
    return this;
  }

  /** When learning started. */
  get since(): number | undefined {
    return this.learningSince;
  }

  /**
   * Learns from one more event time. Times come in the API's order; one older than the
   * newest learned shortens no silence already learned and is skipped. Returns whether a
   * stored slot changed (whole minutes or week), which is when the rhythm needs writing.
   */
  observe(ms: number): boolean {
    if (!Number.isFinite(ms)) return false;
    if (this.newest === undefined) {
      this.newest = ms;
      this.learningSince ??= ms;
      return true;
    }
    if (ms <= this.newest) return false;
    const changed = this.learnGap(this.newest, ms);
    this.newest = ms;
    return changed;
  }

  /**
   * The silence that makes a drop-off at `at`: the fixed window while learning, then
   * factor × the longest silence seen lately in this hour of the week and its two
   * neighbours, never under the minimum, never over the ceiling.
   */
  limit(at: number, bounds: SilenceBounds): SilenceLimit {
    if (this.learningSince === undefined || at - this.learningSince < this.settings.learningMs) {
      return { ms: bounds.fixedMs, basis: 'learning' };
    }
    const usualMs = this.usual(at);
    const learned = Math.max(this.settings.minimumMs, this.settings.factor * usualMs);
    return learned >= bounds.ceilingMs
      ? { ms: bounds.ceilingMs, basis: 'ceiling', usualMs }
      : { ms: learned, basis: 'learned', usualMs };
  }

  /** The longest silence seen lately around the hour of the week of `at`, decayed to `at`'s week. */
  usual(at: number): number {
    const hour = hourOfWeek(at);
    const week = weekOf(at);
    let minutes = 0;
    for (const slot of [hour + HOURS_PER_WEEK - 1, hour, hour + 1]) {
      minutes = Math.max(minutes, this.decayed(slot % HOURS_PER_WEEK, week));
    }
    return minutes * 60_000;
  }

  /**
   * Folds the silence between two events into every hour it spans: in each, the silence in
   * progress at the hour's end (or at the second event). A silence past what the rhythm
   * allowed at the time is learned only up to that limit, so an outage does not teach the
   * model that outages are usual; a lasting change of rhythm is learned within a few weeks,
   * the limit growing by the factor each week.
   */
  private learnGap(from: number, to: number): boolean {
    let changed = false;
    let slotStart = Math.floor(from / HOUR_MS) * HOUR_MS;
    for (let slots = 0; slotStart < to && slots < MAX_SLOTS_PER_GAP; slots++, slotStart += HOUR_MS) {
      const end = Math.min(to, slotStart + HOUR_MS);
      const learnable =
        this.learningSince !== undefined && end - this.learningSince >= this.settings.learningMs;
      const cap = learnable
        ? Math.max(this.settings.minimumMs, this.settings.factor * this.usual(end))
        : Infinity;
      if (this.fold(slotStart, Math.min(end - from, cap))) changed = true;
    }
    return changed;
  }

  private fold(slotStart: number, silenceMs: number): boolean {
    const slot = hourOfWeek(slotStart);
    const week = weekOf(slotStart);
    const stored = this.weeks[slot] ?? -1;
    const minutes = silenceMs / 60_000;
    if (week < stored) {
      // A silence from an older week than the slot's: it can only raise the slot.
      if (minutes <= (this.minutes[slot] ?? 0)) return false;
      const before = Math.ceil(this.minutes[slot] ?? 0);
      this.minutes[slot] = minutes;
      return Math.ceil(minutes) !== before;
    }
    const base = this.decayed(slot, week);
    const next = Math.max(base, minutes);
    const before = Math.ceil(this.minutes[slot] ?? 0);
    this.minutes[slot] = next;
    this.weeks[slot] = week;
    return week !== stored || Math.ceil(next) !== before;
  }

  private decayed(slot: number, week: number): number {
    const stored = this.weeks[slot] ?? -1;
    if (stored < 0) return 0;
    const minutes = this.minutes[slot] ?? 0;
    return week <= stored ? minutes : minutes * this.settings.decay ** (week - stored);
  }
}
