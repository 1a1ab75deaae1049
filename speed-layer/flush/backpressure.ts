/** Bounds of the backpressure gate (see `SpeedLayerOptions.backpressure`). */
export interface BackpressureBounds {
  /**
   * Rows waiting to be written (changed cells not yet written, top-list rows queued) above which
   * fetching stops.
   */
  maxPendingRows: number;
  /**
   * V8 heap in use plus external memory (bytes) above which fetching stops while at least
   * `HEAP_BOUND_MIN_PENDING_SHARE` of `maxPendingRows` waits to be written.
   */
  maxHeapBytes: number;
}

/** What the gate measures each time it is asked. */
export interface BackpressureReading {
  pendingRows: number;
  heapBytes: number;
}

/** A change of the gate's state, for the caller to apply to the consumer. */
export type GateChange = 'pause' | 'resume' | undefined;

/**
 * Share of `maxPendingRows` that must be waiting before the heap bound applies: only finished
 * writes free memory, and fewer rows than this free too little to be worth stopping for.
 */
export const HEAP_BOUND_MIN_PENDING_SHARE = 0.1;

/**
 * Decides when the speed layer stops and restarts fetching from Kafka, so memory stays bounded
 * when the store writes slower than the topic delivers. Fetching stops once pending rows pass
 * their bound, or the heap passes its bound while at least a tenth of the pending-row bound
 * waits to be written; it restarts only when pending rows are down to half the bound and the
 * heap under 90% of its bound (or too few rows are pending for the heap bound to apply): the
 * margin keeps the consumer from flapping at every batch.
 *
 * The heap bound only holds fetching while enough writes are pending, because only finished
 * writes free memory. A heap that is large for another reason (the minutes retained for the
 * longest window, which fill up over its first hour) would otherwise stop the consumer each
 * time a closing minute's garbage pushes it over the bound, for as long as the last few rows
 * take to write, without freeing anything.
 */
export class BackpressureGate {
  readonly #bounds: BackpressureBounds;
  #paused = false;
  #pauses = 0;

  constructor(bounds: BackpressureBounds) {
    this.#bounds = bounds;
  }

  /** Fetching is stopped. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Times fetching was stopped since start. */
  get pauses(): number {
    return this.#pauses;
  }

  /** Updates the state from a reading; returns the change to apply, if any. */
  update(r: BackpressureReading): GateChange {
    const { maxPendingRows, maxHeapBytes } = this.#bounds;
    const heapApplies = r.pendingRows >= maxPendingRows * HEAP_BOUND_MIN_PENDING_SHARE;
    if (!this.#paused) {
      if (r.pendingRows > maxPendingRows || (heapApplies && r.heapBytes > maxHeapBytes)) {
        this.#paused = true;
        this.#pauses++;
        return 'pause';
      }
      return undefined;
    }
    const drained =
      r.pendingRows <= maxPendingRows / 2 && (!heapApplies || r.heapBytes <= maxHeapBytes * 0.9);
    if (drained) {
      this.#paused = false;
      return 'resume';
    }
    return undefined;
  }
}
