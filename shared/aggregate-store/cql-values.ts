/** Distinct texts, and distinct minutes and hours, kept encoded before a cache starts over. */
const MAX_CACHED = 10_000;
/** Counts below this are encoded once and shared. */
const SHARED_COUNTS = 4096;

function int64(value: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeInt32BE(Math.floor(value / 2 ** 32), 0);
  b.writeUInt32BE(value >>> 0, 4);
  return b;
}

/**
 * CQL values already in the native protocol's encoding (`text` as UTF-8, `timestamp` and `bigint`
 * as 8 bytes big-endian, `int` as 4), which cassandra-driver sends as they are. The speed view
 * writes millions of rows a minute that repeat a few slices, minutes, hours, buckets and small
 * counts: encoding each of those once, instead of a Date, a Long and their buffers per row, takes
 * a measurable share of the speed layer's CPU and garbage off the write path.
 */
export class CqlValues {
  readonly #texts = new Map<string, Buffer>();
  readonly #timestamps = new Map<number, Buffer>();
  readonly #ints: Buffer[] = [];
  readonly #counts: Buffer[] = [];

  /** A short, often repeated text (a slice); ad ids are passed as strings. */
  text(value: string): Buffer {
    let b = this.#texts.get(value);
    if (b === undefined) {
      if (this.#texts.size >= MAX_CACHED) this.#texts.clear();
      b = Buffer.from(value, 'utf8');
      this.#texts.set(value, b);
    }
    return b;
  }

  /** A `timestamp` of epoch milliseconds. */
  timestamp(ms: number): Buffer {
    let b = this.#timestamps.get(ms);
    if (b === undefined) {
      if (this.#timestamps.size >= MAX_CACHED) this.#timestamps.clear();
      b = int64(ms);
      this.#timestamps.set(ms, b);
    }
    return b;
  }

  /** An `int` in [0, 2^31) (a bucket). */
  int(value: number): Buffer {
    let b = this.#ints[value];
    if (b === undefined) {
      b = Buffer.allocUnsafe(4);
      b.writeInt32BE(value, 0);
      if (value < SHARED_COUNTS) this.#ints[value] = b;
    }
    return b;
  }

  /** A `bigint` count (a safe integer ≥ 0). */
  bigint(value: number): Buffer {
    if (value >= SHARED_COUNTS) return int64(value);
    let b = this.#counts[value];
    if (b === undefined) {
      b = int64(value);
      this.#counts[value] = b;
    }
    return b;
  }
}
