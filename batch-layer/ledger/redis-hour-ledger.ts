import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { HOUR_MS } from '../../shared/aggregation/time.ts';
import { sleep } from '../../shared/async/wait-for.ts';
import { AdclickError, ErrorCodes } from '../../shared/errors/errors.ts';
import type { HourLedger } from './types.ts';

export interface RedisHourLedgerOptions {
  url: string;
  /** Prefix of every key (the deployment's queue prefix, plus a test's own name). */
  prefix: string;
}

// Clears the dirty mark only if no write came after the recompute read the generation.
const MARK_COMPUTED = `
if tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1`;
const MARK_WRITTEN = `
for i = 1, #ARGV do
  redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
  redis.call('ZADD', KEYS[2], ARGV[i], ARGV[i])
end
return 1`;
const SET_FIRST = `
local cur = redis.call('GET', KEYS[1])
if (not cur) or tonumber(ARGV[1]) < tonumber(cur) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/** `HourLedger` in Redis: a hash of generations, a sorted set of dirty hours, expiring locks. */
export class RedisHourLedger implements HourLedger {
  private readonly redis: Redis;
  private readonly keys: {
    gen: string;
    dirty: string;
    first: string;
    lock: (name: string) => string;
    all: string;
  };

  constructor(options: RedisHourLedgerOptions) {
    this.redis = new Redis(options.url, {
      maxRetriesPerRequest: 3,
      lazyConnect: true,
      enableOfflineQueue: true,
    });
    this.redis.on('error', () => undefined);
    const p = `${options.prefix}:lake`;
    this.keys = {
      gen: `${p}:gen`,
      dirty: `${p}:dirty`,
      first: `${p}:first`,
      lock: (n) => `${p}:lock:${n}`,
      all: `${p}:*`,
    };
  }

  async start(): Promise<void> {
    await this.call('connecting', () => this.redis.connect());
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /** Deletes every key of this ledger (tests; a deployment never forgets its lake's state). */
  async deleteAll(): Promise<void> {
    await this.call('deleting the ledger', async () => {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', this.keys.all, 'COUNT', 500);
        if (keys.length > 0) await this.redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    });
  }

  async markWritten(hours: readonly number[]): Promise<void> {
    if (hours.length === 0) return;
    const all = [...new Set(hours.flatMap((h) => [h, h + HOUR_MS]))].map(String);
    await this.call('marking hours', async () => {
      await this.redis.eval(MARK_WRITTEN, 2, this.keys.gen, this.keys.dirty, ...all);
      await this.redis.eval(SET_FIRST, 1, this.keys.first, String(Math.min(...hours)));
    });
  }

  async generation(hour: number): Promise<number> {
    return Number(
      (await this.call('reading a generation', () => this.redis.hget(this.keys.gen, String(hour)))) ?? 0,
    );
  }

  async markComputed(hour: number, generation: number): Promise<void> {
    await this.call('clearing a dirty hour', () =>
      this.redis.eval(MARK_COMPUTED, 2, this.keys.gen, this.keys.dirty, String(hour), String(generation)),
    );
  }

  async dirtyHours(beforeMs: number): Promise<number[]> {
    const members = await this.call('listing dirty hours', () =>
      this.redis.zrangebyscore(this.keys.dirty, '-inf', `(${beforeMs}`),
    );
    return members.map(Number);
  }

  async firstHour(): Promise<number | undefined> {
    const value = await this.call('reading the first hour', () => this.redis.get(this.keys.first));
    return value === null ? undefined : Number(value);
  }

  async withLock<T>(
    name: string,
    options: { ttlMs: number; waitMs: number },
    work: () => Promise<T>,
  ): Promise<T> {
    const key = this.keys.lock(name);
    const token = randomUUID();
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      const ok = await this.call('taking a lock', () =>
        this.redis.set(key, token, 'PX', options.ttlMs, 'NX'),
      );
      if (ok === 'OK') break;
      if (Date.now() >= deadline)
        throw new AdclickError(ErrorCodes.TIMEOUT, `lock "${name}" still held after ${options.waitMs} ms`, {
          retryable: true,
        });
      await sleep(Math.min(500, options.ttlMs / 4));
    }
    const renew = setInterval(
      () => void this.redis.eval(EXTEND, 1, key, token, String(options.ttlMs)).catch(() => undefined),
      Math.max(100, Math.floor(options.ttlMs / 3)),
    );
    try {
      return await work();
    } finally {
      clearInterval(renew);
      await this.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    }
  }

  private async call<T>(doing: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new AdclickError(ErrorCodes.UNAVAILABLE, `Redis failed ${doing}: ${message}`, {
        cause: error,
        retryable: true,
      });
    }
  }
}
