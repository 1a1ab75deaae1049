import type { MinuteCount } from '../../shared/aggregate-store/types.ts';
import type { MinuteCells } from '../aggregate/partition-states.ts';

/**
 * Reads the cells of closed minutes (`MinuteCells`) a chunk at a time, in the order they were
 * added. Only a chunk's cells exist as objects at once, so a peak minute's millions of cells cost
 * the event loop one chunk per write instead of one long copy.
 */
export class FinalCellsReader {
  readonly #minutes: MinuteCells[] = [];
  #remaining = 0;
  #current: Iterator<MinuteCount> | undefined;

  /** Cells not read yet. */
  get remaining(): number {
    return this.#remaining;
  }

  add(minutes: readonly MinuteCells[]): void {
    for (const m of minutes) {
      this.#minutes.push(m);
      this.#remaining += m.size;
    }
  }

  /** Up to `max` cells, fewer only at the end. */
  take(max: number): MinuteCount[] {
    const out: MinuteCount[] = [];
    while (out.length < max) {
      if (this.#current === undefined) {
        const next = this.#minutes.shift();
        if (next === undefined) break;
        this.#current = cellsOf(next);
      }
      const step = this.#current.next();
      if (step.done) this.#current = undefined;
      else out.push(step.value);
    }
    this.#remaining = Math.max(0, this.#remaining - out.length);
    return out;
  }
}

function* cellsOf({ minute, counts }: MinuteCells): Generator<MinuteCount> {
  for (const [slice, ads] of counts) {
    for (const [adId, count] of ads) yield { adId, slice, minute, count };
  }
}
