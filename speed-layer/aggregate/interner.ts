/** Room for slice ids inside a cell key; the country dimension has ~250 values plus `all`. */
export const SLICE_SPACE = 4096;

/**
 * Maps ad ids and slice names to small integers so a cell `(ad, slice)` is one number
 * (`adIndex * SLICE_SPACE + sliceIndex`): maps keyed by numbers are several times smaller and
 * faster than maps keyed by concatenated strings. Shared by every partition of a process, so an
 * ad id is stored once.
 */
export class Interner {
  readonly #ads = new Map<string, number>();
  readonly #adNames: string[] = [];
  readonly #slices = new Map<string, number>();
  readonly #sliceNames: string[] = [];

  ad(adId: string): number {
    let i = this.#ads.get(adId);
    if (i === undefined) {
      i = this.#adNames.length;
      this.#ads.set(adId, i);
      this.#adNames.push(adId);
    }
    return i;
  }

  slice(name: string): number {
    let i = this.#slices.get(name);
    if (i === undefined) {
      i = this.#sliceNames.length;
      if (i >= SLICE_SPACE) throw new RangeError(`more than ${SLICE_SPACE} distinct slices`);
      this.#slices.set(name, i);
      this.#sliceNames.push(name);
    }
    return i;
  }

  cell(adId: string, slice: string): number {
    return this.ad(adId) * SLICE_SPACE + this.slice(slice);
  }

  adOf(cell: number): string {
    return this.#adNames[Math.floor(cell / SLICE_SPACE)]!;
  }

  sliceOf(cell: number): string {
    return this.#sliceNames[cell % SLICE_SPACE]!;
  }

  sliceIndexOf(cell: number): number {
    return cell % SLICE_SPACE;
  }

  /** Distinct ads seen (for metrics). */
  get ads(): number {
    return this.#adNames.length;
  }
}
