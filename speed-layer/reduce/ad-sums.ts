import type { AdIds } from '../aggregate/ad-ids.ts';
import { FrozenCells } from '../aggregate/frozen-cells.ts';

/** A byte holding this means the sum is in the overflow map. */
const OVERFLOW = 255;

/**
 * Per-ad running sums of one slice and window, indexed by the partition's `AdIds`: one byte an ad
 * of the partition, where a Map costs ~70 bytes an (ad, slice, window) with clicks. Over an hour
 * of traffic most ads of a 2M catalogue are seen, each in its partition's table, and each slice
 * and long window holds an array as long as the table, so the bytes per ad count (four bytes
 * took ~100 bytes more per ad seen in a lab run, over 33 arrays). Sums of 255 and more, a Zipf
 * catalogue's few hundred head ads per slice, live in a small Map beside the bytes.
 *
 * A `ReadonlyMap` (ads with a non-zero sum), so the ranking reads it like a minute's cells.
 */
export class AdSums implements ReadonlyMap<string, number> {
  readonly #ads: AdIds;
  #values = new Uint8Array(0);
  /** Sums of `OVERFLOW` or more, by ad index (their byte holds `OVERFLOW`). */
  readonly #large = new Map<number, number>();
  #size = 0;

  constructor(ads: AdIds) {
    this.#ads = ads;
  }

  /** Ads with a non-zero sum. */
  get size(): number {
    return this.#size;
  }

  /** Adds `sign` × each of `cells` (a minute's counts of this slice) to the sums. */
  apply(cells: ReadonlyMap<string, number>, sign: 1 | -1): void {
    forEachIndexed(cells, this.#ads, (index, count) => this.#add(index, sign * count));
  }

  /** Adds `sign` × the sums into `totals` (indexed by ad). */
  addInto(totals: Float64Array, sign: 1 | -1): void {
    const values = this.#values;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v !== 0 && v !== OVERFLOW) totals[i]! += sign * v;
    }
    for (const [i, v] of this.#large) totals[i]! += sign * v;
  }

  get(adId: string): number | undefined {
    const i = this.#ads.indexOf(adId);
    if (i === undefined || i >= this.#values.length) return undefined;
    const v = this.#sumAt(i);
    return v === 0 ? undefined : v;
  }

  has(adId: string): boolean {
    return this.get(adId) !== undefined;
  }

  forEach(callback: (value: number, key: string, map: ReadonlyMap<string, number>) => void): void {
    for (const [adId, count] of this.entries()) callback(count, adId, this);
  }

  *entries(): MapIterator<[string, number]> {
    const values = this.#values;
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) yield [this.#ads.at(i), this.#sumAt(i)];
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

  #sumAt(index: number): number {
    const v = this.#values[index]!;
    return v === OVERFLOW ? this.#large.get(index)! : v;
  }

  #add(index: number, delta: number): void {
    if (index >= this.#values.length) {
      // To the table's size and a little more: every ad of the partition fits, little is wasted.
      const size = Math.max(index + 1, this.#ads.size);
      const grown = new Uint8Array(size + Math.max(1024, size >> 4));
      grown.set(this.#values);
      this.#values = grown;
    }
    const before = this.#sumAt(index);
    const after = before + delta;
    if (after < 0) throw new RangeError(`running sum below zero for ${this.#ads.at(index)}`);
    if (after >= OVERFLOW) {
      this.#values[index] = OVERFLOW;
      this.#large.set(index, after);
    } else {
      if (before >= OVERFLOW) this.#large.delete(index);
      this.#values[index] = after;
    }
    if (before === 0 && after !== 0) this.#size++;
    else if (before !== 0 && after === 0) this.#size--;
  }
}

/**
 * Calls `fn` with each cell's ad index in `ads` and its count: frozen cells are indexed already,
 * others are interned (they would be when their minute is frozen anyway).
 */
export function forEachIndexed(
  cells: ReadonlyMap<string, number>,
  ads: AdIds,
  fn: (index: number, count: number) => void,
): void {
  if (cells instanceof FrozenCells && cells.indexedBy(ads)) cells.forEachIndexed(fn);
  else for (const [adId, count] of cells) fn(ads.intern(adId), count);
}
