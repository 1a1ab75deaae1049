/** 32-bit lanes per stored id: a 96-bit hash. */
const LANES = 3;
/** Grow (double) once more than this share of the slots is taken: keeps linear probes short. */
const MAX_LOAD = 0.7;
const MIN_CAPACITY = 1024;

/** Murmur3's 32-bit finaliser: every input bit affects every output bit. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The click ids seen in one open minute of one partition, for the dedup rule. Each id is kept as
 * a 96-bit hash in one open-addressing table of 32-bit lanes (12 bytes per slot), not as a string
 * in a `Set` (~70 bytes per id here, and traced by every garbage collection): a minute at the
 * SPEC's peak holds 3 million ids.
 *
 * Two different ids of the same minute and partition count as one only if their 96-bit hashes
 * are equal: for n ids that happens with probability about n² / 2^97 (~6·10⁻¹⁷ for 3 million),
 * far below any other cause of loss; the batch layer's exact dedup by `click_id` would still
 * count such a click, and reconciliation would show the cell.
 */
export class ClickIdSet {
  #slots: Uint32Array;
  #mask: number;
  #size = 0;
  readonly #hash = new Uint32Array(LANES);

  constructor(capacity = MIN_CAPACITY) {
    let slots = MIN_CAPACITY;
    while (slots * MAX_LOAD < capacity) slots *= 2;
    this.#slots = new Uint32Array(slots * LANES);
    this.#mask = slots - 1;
  }

  /** A set holding `ids` (a snapshot written before hashes were stored). */
  static of(ids: Iterable<string>): ClickIdSet {
    const set = new ClickIdSet();
    for (const id of ids) set.add(id);
    return set;
  }

  /** The set stored by `toBase64`. */
  static fromBase64(encoded: string): ClickIdSet {
    // Copied: a decoded Buffer may start at any offset of its pool, a Uint32Array view may not.
    const bytes = new Uint8Array(Buffer.from(encoded, 'base64'));
    const hashes = new Uint32Array(bytes.buffer, 0, Math.floor(bytes.byteLength / 4));
    const set = new ClickIdSet(hashes.length / LANES);
    for (let i = 0; i + LANES <= hashes.length; i += LANES)
      set.#insert(hashes[i]!, hashes[i + 1]!, hashes[i + 2]!);
    return set;
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held by the table. */
  get byteLength(): number {
    return this.#slots.byteLength;
  }

  has(id: string): boolean {
    const h = this.#hashOf(id);
    return this.#probe(h[0]!, h[1]!, h[2]!) >= 0;
  }

  /** Adds an id; false when it (or an id with the same hash) was already there. */
  add(id: string): boolean {
    const h = this.#hashOf(id);
    return this.#insert(h[0]!, h[1]!, h[2]!);
  }

  /** The stored hashes (the occupied slots' lanes in the machine's byte order), for a snapshot. */
  toBase64(): string {
    const out = new Uint32Array(this.#size * LANES);
    let o = 0;
    const s = this.#slots;
    for (let i = 0; i < s.length; i += LANES) {
      if ((s[i]! | s[i + 1]! | s[i + 2]!) === 0) continue;
      out[o++] = s[i]!;
      out[o++] = s[i + 1]!;
      out[o++] = s[i + 2]!;
    }
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString('base64');
  }

  /** Three 32-bit lanes of the id's UTF-16 units, each seeded and multiplied differently. */
  #hashOf(id: string): Uint32Array {
    let a = 0x9e3779b1 ^ id.length;
    let b = 0x85ebca77;
    let c = 0xc2b2ae3d;
    for (let i = 0; i < id.length; i++) {
      const ch = id.charCodeAt(i);
      a = Math.imul(a ^ ch, 0x01000193);
      b = Math.imul(b ^ ch, 0x5bd1e995);
      c = Math.imul((c + ch) | 0, 0x27d4eb2f);
    }
    const h = this.#hash;
    h[0] = fmix(a ^ (c >>> 7));
    h[1] = fmix(b ^ (a >>> 11));
    h[2] = fmix(c ^ (b >>> 5));
    // All-zero lanes mark an empty slot.
    if ((h[0]! | h[1]! | h[2]!) === 0) h[2] = 1;
    return h;
  }

  /** The slot holding the hash, or `~slot` of the empty slot where it would go (negative). */
  #probe(a: number, b: number, c: number): number {
    const s = this.#slots;
    for (let i = a & this.#mask; ; i = (i + 1) & this.#mask) {
      const at = i * LANES;
      const x = s[at]!;
      const y = s[at + 1]!;
      const z = s[at + 2]!;
      if ((x | y | z) === 0) return ~i;
      if (x === a && y === b && z === c) return i;
    }
  }

  #insert(a: number, b: number, c: number): boolean {
    if (this.#size + 1 > (this.#mask + 1) * MAX_LOAD) this.#grow();
    const slot = this.#probe(a, b, c);
    if (slot >= 0) return false;
    const at = ~slot * LANES;
    this.#slots[at] = a;
    this.#slots[at + 1] = b;
    this.#slots[at + 2] = c;
    this.#size++;
    return true;
  }

  #grow(): void {
    const old = this.#slots;
    const slots = (this.#mask + 1) * 2;
    this.#slots = new Uint32Array(slots * LANES);
    this.#mask = slots - 1;
    this.#size = 0;
    for (let i = 0; i < old.length; i += LANES) {
      if ((old[i]! | old[i + 1]! | old[i + 2]!) !== 0) this.#insert(old[i]!, old[i + 1]!, old[i + 2]!);
    }
  }
}
