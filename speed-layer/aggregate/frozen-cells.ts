import type { AdIds } from './ad-ids.ts';

/** Entries between two points of the skip index: a lookup decodes at most this many. */
const BLOCK = 32;
const TWO_32 = 2 ** 32;

/**
 * The per-ad counts of one closed minute and slice, read-only and compact. A closed minute takes
 * no more clicks but is retained for the sliding windows (an hour and more), and a JavaScript Map
 * costs ~100 bytes a cell; here a cell is its ad's index in the partition's `AdIds` as a varint
 * delta from the previous one (ads sorted by index) and its count as a varint: ~2–4 bytes. A skip
 * index every `BLOCK` entries keeps `get` to a binary search and a short decode.
 *
 * It is a `ReadonlyMap`, so readers of open (Map) and closed minutes are the same code.
 */
export class FrozenCells implements ReadonlyMap<string, number> {
  readonly size: number;
  readonly #ads: AdIds;
  readonly #bytes: Uint8Array;
  /** Per block: the index of the entry before it (−1 for the first), then its byte offset. */
  readonly #skip: Int32Array;

  private constructor(ads: AdIds, size: number, bytes: Uint8Array, skip: Int32Array) {
    this.#ads = ads;
    this.size = size;
    this.#bytes = bytes;
    this.#skip = skip;
  }

  /** Freezes counts (ad id → clicks, each > 0), interning their ad ids into `ads`. */
  static from(counts: ReadonlyMap<string, number>, ads: AdIds): FrozenCells {
    // Index in the high part: a numeric sort orders by ad index, and the pair stays one number.
    const sorted = new Float64Array(counts.size);
    let n = 0;
    for (const [adId, count] of counts) {
      if (!Number.isInteger(count) || count < 0 || count >= TWO_32)
        throw new RangeError(`cell count out of range: ${count}`);
      sorted[n++] = ads.intern(adId) * TWO_32 + count;
    }
    sorted.sort();
    const bytes = new Uint8Array(sorted.length * 10);
    const skip = new Int32Array(Math.ceil(sorted.length / BLOCK) * 2);
    let at = 0;
    let previous = -1;
    for (let i = 0; i < sorted.length; i++) {
      const index = Math.floor(sorted[i]! / TWO_32);
      if (i % BLOCK === 0) {
        skip[(i / BLOCK) * 2] = previous;
        skip[(i / BLOCK) * 2 + 1] = at;
      }
      at = writeVarint(bytes, at, index - previous);
      at = writeVarint(bytes, at, sorted[i]! - index * TWO_32);
      previous = index;
    }
    return new FrozenCells(ads, sorted.length, bytes.slice(0, at), skip);
  }

  /**
   * The same cells indexed by another table: `remap[i]` is the new index of old index `i`, and
   * must increase with `i` over the cells' indexes, so the order holds and no sort is needed
   * (the ad id table's pruning, `PartitionState`).
   */
  remapped(ads: AdIds, remap: Int32Array): FrozenCells {
    const bytes = new Uint8Array(this.#bytes.length + this.size * 5);
    const skip = new Int32Array(this.#skip.length);
    const cursor = { at: 0 };
    let at = 0;
    let index = -1;
    let previous = -1;
    for (let i = 0; i < this.size; i++) {
      index += readVarint(this.#bytes, cursor);
      const count = readVarint(this.#bytes, cursor);
      const next = remap[index]!;
      if (!(next > previous)) throw new RangeError(`ad index ${index} remapped out of order`);
      if (i % BLOCK === 0) {
        skip[(i / BLOCK) * 2] = previous;
        skip[(i / BLOCK) * 2 + 1] = at;
      }
      at = writeVarint(bytes, at, next - previous);
      at = writeVarint(bytes, at, count);
      previous = next;
    }
    return new FrozenCells(ads, this.size, bytes.slice(0, at), skip);
  }

  get(adId: string): number | undefined {
    const target = this.#ads.indexOf(adId);
    if (target === undefined || this.size === 0) return undefined;
    // Last block whose preceding entry is below the target: the target can only be in it.
    let lo = 0;
    let hi = this.#skip.length / 2 - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#skip[mid * 2]! < target) lo = mid;
      else hi = mid - 1;
    }
    let index = this.#skip[lo * 2]!;
    const cursor = { at: this.#skip[lo * 2 + 1]! };
    const end = Math.min(this.size, (lo + 1) * BLOCK);
    for (let i = lo * BLOCK; i < end; i++) {
      index += readVarint(this.#bytes, cursor);
      const count = readVarint(this.#bytes, cursor);
      if (index === target) return count;
      if (index > target) return undefined;
    }
    return undefined;
  }

  has(adId: string): boolean {
    return this.get(adId) !== undefined;
  }

  forEach(callback: (value: number, key: string, map: ReadonlyMap<string, number>) => void): void {
    for (const [adId, count] of this.entries()) callback(count, adId, this);
  }

  /** Whether the cells' ad indexes are those of `ads` (see `forEachIndexed`). */
  indexedBy(ads: AdIds): boolean {
    return this.#ads === ads;
  }

  /** Calls `fn` with each cell's index in the `AdIds` it was frozen with, and its count. */
  forEachIndexed(fn: (index: number, count: number) => void): void {
    const bytes = this.#bytes;
    const cursor = { at: 0 };
    let index = -1;
    for (let i = 0; i < this.size; i++) {
      index += readVarint(bytes, cursor);
      fn(index, readVarint(bytes, cursor));
    }
  }

  *entries(): MapIterator<[string, number]> {
    // The varint reads inlined: ranking walks every cell of an hour of minutes this way.
    const bytes = this.#bytes;
    let at = 0;
    let index = -1;
    for (let i = 0; i < this.size; i++) {
      let b = bytes[at++]!;
      let delta = b & 0x7f;
      for (let scale = 0x80; b >= 0x80; scale *= 0x80) {
        b = bytes[at++]!;
        delta += (b & 0x7f) * scale;
      }
      b = bytes[at++]!;
      let count = b & 0x7f;
      for (let scale = 0x80; b >= 0x80; scale *= 0x80) {
        b = bytes[at++]!;
        count += (b & 0x7f) * scale;
      }
      index += delta;
      yield [this.#ads.at(index), count];
    }
  }

  *keys(): MapIterator<string> {
    for (const [adId] of this.entries()) yield adId;
  }

  *values(): MapIterator<number> {
    for (const [, count] of this.entries()) yield count;
  }

  [Symbol.iterator](): MapIterator<[string, number]> {
    return this.entries();
  }

  /** Bytes held (the encoded cells and the skip index). */
  get byteLength(): number {
    return this.#bytes.byteLength + this.#skip.byteLength;
  }
}

function writeVarint(bytes: Uint8Array, at: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    bytes[at++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  bytes[at++] = v;
  return at;
}

function readVarint(bytes: Uint8Array, cursor: { at: number }): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[cursor.at++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 0x80;
  }
}
