import { HOUR_MS } from '../../shared/aggregation/time.ts';
import { waitFor } from '../../shared/async/wait-for.ts';
import type { HourLedger } from './types.ts';

/** An in-process `HourLedger` for unit tests and single-process tools. */
export class MemoryHourLedger implements HourLedger {
  private readonly generations = new Map<number, number>();
  private readonly dirty = new Set<number>();
  private readonly locks = new Set<string>();
  private first: number | undefined;

  async markWritten(hours: readonly number[]): Promise<void> {
    for (const hour of hours) {
      for (const h of [hour, hour + HOUR_MS]) {
        this.generations.set(h, (this.generations.get(h) ?? 0) + 1);
        this.dirty.add(h);
      }
      this.first = this.first === undefined ? hour : Math.min(this.first, hour);
    }
  }

  async generation(hour: number): Promise<number> {
    return this.generations.get(hour) ?? 0;
  }

  async markComputed(hour: number, generation: number): Promise<void> {
    if ((this.generations.get(hour) ?? 0) === generation) this.dirty.delete(hour);
  }

  async dirtyHours(beforeMs: number): Promise<number[]> {
    return [...this.dirty].filter((h) => h < beforeMs).sort((a, b) => a - b);
  }

  async firstHour(): Promise<number | undefined> {
    return this.first;
  }

  async withLock<T>(
    name: string,
    options: { ttlMs: number; waitMs: number },
    work: () => Promise<T>,
  ): Promise<T> {
    await waitFor(() => !this.locks.has(name), {
      timeoutMs: options.waitMs,
      intervalMs: 10,
      description: `lock ${name}`,
    });
    this.locks.add(name);
    try {
      return await work();
    } finally {
      this.locks.delete(name);
    }
  }
}
