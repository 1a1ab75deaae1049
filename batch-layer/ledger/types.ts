/**
 * Which lake hours changed since they were last recomputed, and who may recompute an hour now.
 * Shared by the archiver (marks), the schedulers (read) and the workers (lock, clear), across
 * processes and machines (Redis in production, `RedisHourLedger`).
 */
export interface HourLedger {
  /**
   * The archiver uploaded rows of these event hours. Each hour and the hour after it become dirty:
   * the next hour's top-N lists reach up to 59 minutes back into this one.
   */
  markWritten(hours: readonly number[]): Promise<void>;
  /** How many times rows of `hour` were written (0 = the lake has never had rows for it). */
  generation(hour: number): Promise<number>;
  /** A recompute that read the lake at `generation` finished; the hour stays dirty if newer writes came. */
  markComputed(hour: number, generation: number): Promise<void>;
  /** Dirty hours starting before `beforeMs`, oldest first. */
  dirtyHours(beforeMs: number): Promise<number[]>;
  /** The earliest hour ever written, where the batch watermark starts. */
  firstHour(): Promise<number | undefined>;
  /**
   * Runs `work` holding the exclusive lock named `name` (e.g. one hour), waiting up to `waitMs` for
   * it. The lock expires `ttlMs` after its holder dies, so a killed worker never blocks an hour.
   */
  withLock<T>(name: string, options: { ttlMs: number; waitMs: number }, work: () => Promise<T>): Promise<T>;
}
