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
  /** When its load started; a refresh ahead of expiry is due from `refreshAt`. */
  refreshAt: number;
  refreshing: boolean;
}

export interface ReadCacheOptions {
  /** Upper bound of the summed weights of the entries kept; the least recently used go first. */
  maxWeight: number;
  /** Clock in ms (tests pass their own). */
  now?: () => number;
  /** Told of every read: served from the cache (or a load already under way) or not. */
  onRead?: (hit: boolean) => void;
  /**
   * Share of its time to live after which a read of an entry still serves it but also reloads it
   * in the background (default: never), so that steadily read keys do not make a reader wait
   * when they expire. An entry is never served after its time to live, counted from its load's
   * start, so this does not make answers any staler.
   */
  refreshAhead?: number;
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
  readonly #refreshAhead: number | undefined;
  #weight = 0;

  constructor(options: ReadCacheOptions) {
    if (!(options.maxWeight > 0))
      throw new AdclickError(ErrorCodes.CONFIG_INVALID, 'readCache.maxWeight must be > 0', {
        details: { path: 'readCache.maxWeight' },
      });
    this.#maxWeight = options.maxWeight;
    this.#now = options.now ?? Date.now;
    this.#onRead = options.onRead;
    this.#refreshAhead = options.refreshAhead;
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
        if (now >= hit.refreshAt && !hit.refreshing) this.#refresh(key, hit, ttlMs, load);
        return hit.value;
      }
      this.#weight -= hit.weight;
    }
    this.#onRead?.(false);
    const entry = this.#entry(now, ttlMs);
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

  #entry(now: number, ttlMs: number): Entry<V> {
    const ahead = this.#refreshAhead === undefined ? Number.POSITIVE_INFINITY : ttlMs * this.#refreshAhead;
    return {
      value: undefined as unknown as Promise<V>,
      weight: 1,
      expiresAt: now + ttlMs,
      refreshAt: now + ahead,
      refreshing: false,
    };
  }

  /** Reloads `old` in the background; it stays served until the reload lands (or it expires). */
  #refresh(key: string, old: Entry<V>, ttlMs: number, load: () => Promise<Loaded<V>>): void {
    old.refreshing = true;
    const fresh = this.#entry(this.#now(), ttlMs);
    load().then(
      (loaded) => {
        if (this.#entries.get(key) !== old) return;
        fresh.value = Promise.resolve(loaded.value);
        fresh.weight = loaded.weight;
        this.#entries.set(key, fresh);
        this.#weight += fresh.weight - old.weight;
        this.#evict();
      },
      () => {
        // Kept as it is; the next read past `refreshAt` tries again.
        old.refreshing = false;
      },
    );
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
