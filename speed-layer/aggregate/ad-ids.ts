/** Decoded ids kept for `at` (direct-mapped by index): a Zipf catalogue's hot ads stay decoded. */
const DECODED = 1 << 16;

/**
 * One partition's ad ids as small integers, so its closed minutes (`FrozenCells`) store an index
 * per cell instead of a string: every minute of the retention shares one copy of each id.
 *
 * Compact, because a table holds most of an hour's ads (about a million over the partitions of
 * one instance at the SPEC's rates): the ids' characters one byte each in one buffer (ad ids are
 * ASCII, SPEC A1), where they end, and an open-addressing hash index of 32-bit slots — ~35 bytes
 * an id with the arrays' growth room, where a Map of strings and an array took ~90.
 *
 * A table only grows; the partition's state replaces it by a smaller one when many of its ids
 * are no longer used by any retained minute (`PartitionState`, pruning), and a restore or
 * rebalance builds it anew from the retained minutes. With rekeying, an ad lives in one
 * partition, so the tables of all partitions together hold about one entry per ad of the last
 * hour or so.
 */
export class AdIds {
  #chars = Buffer.alloc(1 << 12);
  #charsUsed = 0;
  /** Where each id's characters end (they start where the previous id's end). */
  #ends = new Int32Array(1 << 8);
  #size = 0;
  /** Index + 1 of the id hashed to each slot, 0 where empty; a power of two, at most half full. */
  #slots = new Int32Array(1 << 9);
  readonly #decoded: Array<string | undefined> = [];
  readonly #decodedIndex = new Int32Array(DECODED).fill(-1);

  /** Number of ids held. */
  get size(): number {
    return this.#size;
  }

  /** The id's index, adding the id if it is new. */
  intern(adId: string): number {
    const slot = this.#slotOf(adId);
    const held = this.#slots[slot]!;
    if (held !== 0) return held - 1;
    const index = this.#append(adId);
    this.#slots[slot] = index + 1;
    if (this.#size * 2 > this.#slots.length) this.#rehash();
    return index;
  }

  /** The id's index, or undefined if it was never interned. */
  indexOf(adId: string): number | undefined {
    const held = this.#slots[this.#slotOf(adId)]!;
    return held === 0 ? undefined : held - 1;
  }

  /** The id at an index returned by `intern`. */
  at(index: number): string {
    if (!(index >= 0 && index < this.#size)) throw new RangeError(`no ad id at index ${index}`);
    const cached = index & (DECODED - 1);
    if (this.#decodedIndex[cached] === index) return this.#decoded[cached]!;
    const id = this.#chars.toString('latin1', this.#start(index), this.#ends[index]!);
    this.#decoded[cached] = id;
    this.#decodedIndex[cached] = index;
    return id;
  }

  /** The slot holding `adId`, or the empty slot where it would go. */
  #slotOf(adId: string): number {
    const mask = this.#slots.length - 1;
    let slot = hashOf(adId) & mask;
    for (let held = this.#slots[slot]!; held !== 0; held = this.#slots[slot]!) {
      if (this.#equals(held - 1, adId)) return slot;
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  /** Where the id at `index` starts in `#chars`. */
  #start(index: number): number {
    return index === 0 ? 0 : this.#ends[index - 1]!;
  }

  #equals(index: number, adId: string): boolean {
    const start = this.#start(index);
    if (this.#ends[index]! - start !== adId.length) return false;
    const chars = this.#chars;
    for (let i = 0; i < adId.length; i++) if (chars[start + i] !== adId.charCodeAt(i)) return false;
    return true;
  }

  #append(adId: string): number {
    const needed = this.#charsUsed + adId.length;
    if (needed > this.#chars.length) {
      const grown = Buffer.alloc(Math.max(needed, this.#chars.length * 2));
      this.#chars.copy(grown, 0, 0, this.#charsUsed);
      this.#chars = grown;
    }
    for (let i = 0; i < adId.length; i++) {
      const code = adId.charCodeAt(i);
      // SPEC A1 allows [A-Za-z0-9_.:-]; the map node rejects anything else before it gets here.
      if (code > 0x7f) throw new RangeError(`ad id is not ASCII: ${JSON.stringify(adId)}`);
      this.#chars[this.#charsUsed + i] = code;
    }
    this.#charsUsed = needed;
    if (this.#size === this.#ends.length) {
      const grown = new Int32Array(this.#ends.length * 2);
      grown.set(this.#ends);
      this.#ends = grown;
    }
    this.#ends[this.#size] = needed;
    return this.#size++;
  }

  #rehash(): void {
    const slots = new Int32Array(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (let index = 0; index < this.#size; index++) {
      let slot = hashOfChars(this.#chars, this.#start(index), this.#ends[index]!) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = index + 1;
    }
    this.#slots = slots;
  }
}

/** FNV-1a over the characters (the same value as `hashOfChars` over their bytes). */
function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function hashOfChars(chars: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ chars[i]!, 0x01000193);
  return h >>> 0;
}
