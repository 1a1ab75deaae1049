import { DAY_MS, dayOf, HOUR_MS, isoDate } from '../../shared/aggregation/time.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { Logger } from '../../shared/logger/logger.ts';
import type { HourLedger } from '../ledger/types.ts';
import type { HourRecomputeResult } from '../recompute/hour-recomputer.ts';

/**
 * The nightly reconciliation, injected by the entrypoint: the serving layer owns the comparison
 * (`reconcileDay` of `serving-layer/reconciliation/`). Without it the nightly job recomputes only
 * and says so in its result.
 */
export type ReconcileDayHook = (date: string) => Promise<{ status: string } & Record<string, unknown>>;

export interface BatchJobsDeps {
  ledger: HourLedger;
  /** Recomputes one hour (a fresh engine per call, so jobs of one process can run side by side). */
  recomputeHour(hour: number): Promise<HourRecomputeResult>;
  /** Puts one hour's recompute on the `hourly` queue under its deterministic job id. */
  enqueueRecompute(hour: number, generation: number): Promise<void>;
  reconcileDay?: ReconcileDayHook;
  /** Allowed lateness plus a margin: an hour is closed once its end is older than this. */
  closedAfterMs: number;
  /** How long a hour's lock outlives a dead holder. */
  lockTtlMs: number;
  /** How long a job waits for another job holding the same hour. */
  lockWaitMs: number;
  logger: Logger;
  now?: () => number;
}

/** What the queue workers run; vendor-free so it can be tested without Redis. */
export class BatchJobs {
  private readonly now: () => number;

  constructor(private readonly deps: BatchJobsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** `hourly` scan: enqueue every closed dirty hour. Returns the hours enqueued. */
  async scan(): Promise<number[]> {
    const closedUntil = this.now() - this.deps.closedAfterMs;
    const hours = (await this.deps.ledger.dirtyHours(closedUntil)).filter((h) => h + HOUR_MS <= closedUntil);
    for (const hour of hours) await this.deps.enqueueRecompute(hour, await this.deps.ledger.generation(hour));
    if (hours.length > 0) this.deps.logger.info({ hours: hours.length }, 'closed dirty hours enqueued');
    return hours;
  }

  /** One hour's recompute under the hour's lock (shared by the `hourly` and `replay` queues). */
  recompute(hour: number): Promise<HourRecomputeResult> {
    if (!Number.isInteger(hour) || hour % HOUR_MS !== 0)
      throw new AdclickError(ErrorCodes.INVALID_INPUT, `job hour ${hour} is not the start of an hour`);
    return this.deps.ledger.withLock(
      `hour:${hour}`,
      { ttlMs: this.deps.lockTtlMs, waitMs: this.deps.lockWaitMs },
      () => this.deps.recomputeHour(hour),
    );
  }

  /** `nightly`: recompute the 24 hours of `date` (default: yesterday, UTC), then reconcile it. */
  async day(date: string | undefined, scheduledAt: number): Promise<Record<string, unknown>> {
    const day = date === undefined ? dayOf(scheduledAt) - DAY_MS : Date.parse(`${date}T00:00:00Z`);
    if (!Number.isFinite(day) || (date !== undefined && isoDate(day) !== date))
      throw new AdclickError(ErrorCodes.INVALID_INPUT, `nightly date must be YYYY-MM-DD, got "${date}"`);
    let clicks = 0;
    for (let hour = day; hour < day + DAY_MS; hour += HOUR_MS) clicks += (await this.recompute(hour)).clicks;
    const id = isoDate(day);
    if (this.deps.reconcileDay === undefined) {
      this.deps.logger.warn({ date: id }, 'nightly recompute done; no reconciliation hook configured');
      return { date: id, clicks, reconciliation: 'not-configured' };
    }
    const report = await this.deps.reconcileDay(id);
    return { date: id, clicks, reconciliation: report.status };
  }
}
