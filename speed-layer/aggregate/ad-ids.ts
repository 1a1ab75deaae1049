/**
 * One partition's ad ids as small integers, so its closed minutes (`FrozenCells`) store an index
 * per cell instead of a string: every minute of the retention shares one copy of each id.
 *
 * The table only grows while the partition's state lives (it is rebuilt from the snapshot on a
 * restore or rebalance, holding only the retained minutes' ads). With rekeying, an ad lives in
 * one partition, so the tables of all partitions together hold about one entry per ad of the
 * catalogue seen since the state was built.
 */
export class AdIds {
  readonly #index = new Map<string, number>();
  readonly #ids: string[] = [];

  /** Number of ids held. */
  get size(): number {
    return this.#ids.length;
  }

  /** The id's index, adding the id if it is new. */
  intern(adId: string): number {
    let i = this.#index.get(adId);
    if (i === undefined) {
      i = this.#ids.length;
      this.#index.set(adId, i);
      this.#ids.push(adId);
    }
    return i;
  }

  /** The id's index, or undefined if it was never interned. */
  indexOf(adId: string): number | undefined {
    return this.#index.get(adId);
  }

  /** The id at an index returned by `intern`. */
  at(index: number): string {
    return this.#ids[index]!;
  }
}
