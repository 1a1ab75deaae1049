/** Bounds of the backpressure gate (see `SpeedLayerOptions.backpressure`). */
export interface BackpressureBounds {
  /**
   * Rows waiting to be written (changed cells not yet written, top-list rows queued) above which
   * fetching stops.
   */
  maxPendingRows: number;
  /** V8 heap in use (bytes) above which fetching stops while writes are pending. */
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
 * Decides when the speed layer stops and restarts fetching from Kafka, so memory stays bounded
 * when the store writes slower than the topic delivers. Fetching stops once pending rows or heap
 * pass their bound and restarts only when pending rows are down to half the bound and the heap
 * under 90% of its bound (or nothing is pending any more): the margin keeps the consumer from
 * flapping at every batch.
 *
 * The heap bound only holds fetching while writes are pending, because only finished writes free
 * memory: a heap that is large for another reason (retained minutes) would otherwise stop the
 * consumer for good.
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
    const writesPending = r.pendingRows > 0;
    if (!this.#paused) {
      if (r.pendingRows > maxPendingRows || (writesPending && r.heapBytes > maxHeapBytes)) {
        this.#paused = true;
        this.#pauses++;
        return 'pause';
      }
      return undefined;
    }
    const drained =
      !writesPending || (r.pendingRows <= maxPendingRows / 2 && r.heapBytes <= maxHeapBytes * 0.9);
    if (drained) {
      this.#paused = false;
      return 'resume';
    }
    return undefined;
  }
}
