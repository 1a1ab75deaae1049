/**
 * One partition's ad ids as small integers, so its closed minutes (`FrozenCells`) store an index
 * per cell instead of a string: every minute of the retention shares one copy of each id.
 *
 * A table only grows; the partition's state replaces it by a smaller one when many of its ids
 * are no longer used by any retained minute (`PartitionState`, pruning), and a restore or
 * rebalance builds it anew from the retained minutes. With rekeying, an ad lives in one
 * partition, so the tables of all partitions together hold about one entry per ad of the last
 * hour or so.
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
