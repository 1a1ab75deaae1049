import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';

/** What a loader hands the cache: the value and its weight (roughly, cells held). */
export interface Loaded<V> {
  value: V;
  weight: number;
}

interface Entry<V> {
  value: Promise<V>;
  weight: number;
  expiresAt: number;
}

export interface ReadCacheOptions {
  /** Upper bound of the summed weights of the entries kept; the least recently used go first. */
  maxWeight: number;
  /** Clock in ms (tests pass their own). */
  now?: () => number;
  /** Told of every read: served from the cache (or a load already under way) or not. */
  onRead?: (hit: boolean) => void;
}

/**
 * A bounded least-recently-used cache of view reads. Concurrent reads of one key share one load,
 * so a burst of identical requests costs one round trip; a failed load is forgotten, so the next
 * read tries again. Entries expire after the time-to-live given per load (`Infinity` for data that
 * cannot change under its key, such as a published batch hour version).
 */
export class ReadCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #maxWeight: number;
  readonly #now: () => number;
  readonly #onRead: ((hit: boolean) => void) | undefined;
  #weight = 0;

  constructor(options: ReadCacheOptions) {
    if (!(options.maxWeight > 0))
      throw new AdclickError(ErrorCodes.CONFIG_INVALID, 'readCache.maxWeight must be > 0', {
        details: { path: 'readCache.maxWeight' },
      });
    this.#maxWeight = options.maxWeight;
    this.#now = options.now ?? Date.now;
    this.#onRead = options.onRead;
  }

  /** Summed weight of the entries held (for tests and metrics). */
  get weight(): number {
    return this.#weight;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached value of `key`, or the result of `load` (kept for `ttlMs`). */
  get(key: string, ttlMs: number, load: () => Promise<Loaded<V>>): Promise<V> {
    const now = this.#now();
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      if (hit.expiresAt > now) {
        // Re-inserted so that Map order is least recently used first.
        this.#entries.set(key, hit);
        this.#onRead?.(true);
        return hit.value;
      }
      this.#weight -= hit.weight;
    }
    this.#onRead?.(false);
    const entry: Entry<V> = { value: undefined as unknown as Promise<V>, weight: 1, expiresAt: now + ttlMs };
    entry.value = load().then(
      (loaded) => {
        if (this.#entries.get(key) === entry) {
          this.#weight += loaded.weight - entry.weight;
          entry.weight = loaded.weight;
          this.#evict();
        }
        return loaded.value;
      },
      (error: unknown) => {
        if (this.#entries.get(key) === entry) this.#remove(key, entry);
        throw error;
      },
    );
    this.#entries.set(key, entry);
    this.#weight += entry.weight;
    this.#evict();
    return entry.value;
  }

  /** Forgets every entry. */
  clear(): void {
    this.#entries.clear();
    this.#weight = 0;
  }

  #remove(key: string, entry: Entry<V>): void {
    this.#entries.delete(key);
    this.#weight -= entry.weight;
  }

  #evict(): void {
    for (const [key, entry] of this.#entries) {
      if (this.#weight <= this.#maxWeight || this.#entries.size <= 1) return;
      this.#remove(key, entry);
    }
  }
}
