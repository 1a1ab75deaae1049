import { toWire } from '../click-event/click-event.ts';
import type { ClickEvent } from '../click-event/types.ts';
import { partitionForKey } from '../partitioning/partition-for-key.ts';
import type { GeneratedRecord, GeneratorOptions } from './types.ts';

const DEFAULT_COUNTRIES = ['US', 'KR', 'DE', 'JP', 'GB', 'FR', 'BR', 'IN'];

/** Options with their defaults filled in (`clock` has none). */
type ResolvedOptions = Required<Omit<GeneratorOptions, 'clock'>> & Pick<GeneratorOptions, 'clock'>;

/**
 * A deterministic synthetic click stream: Zipf-skewed ads, several countries, duplicates
 * (client retries), out-of-order and late clicks, and malformed records. Used by `adclick
 * generate`, the benchmarks and every exactness test, so all of them speak about the same
 * workload.
 */
export function* generateClicks(options: GeneratorOptions): Generator<GeneratedRecord> {
  const o = withDefaults(options);
  const random = mulberry32(o.seed);
  const pickAd = zipfSampler(o.ads, o.skew, random);
  const recent: GeneratedRecord[] = [];
  const stepMs = 1000 / o.clicksPerSecond;
  let produced = 0;
  let serial = 0;
  while (produced < o.clicks) {
    const streamTime = o.clock === undefined ? o.startMs + Math.floor(produced * stepMs) : o.clock();
    const roll = random();
    if (roll < o.malformedFraction) {
      yield malformed(random, serial++, o);
      continue;
    }
    if (roll < o.malformedFraction + o.duplicateFraction && recent.length > 0) {
      const original = recent[Math.floor(random() * recent.length)]!;
      yield { ...original, kind: 'duplicate' };
      continue;
    }
    const late = random() < o.lateFraction;
    const jitter = Math.floor(random() * o.outOfOrderMs);
    const event: ClickEvent = {
      clickId: `${o.clickPrefix}${serial++}`,
      adId: `${o.adPrefix}${pickAd()}`,
      timestampMs: Math.max(0, late ? streamTime - o.lateByMs - jitter : streamTime - jitter),
      userId: `u-${Math.floor(random() * 100_000)}`,
      ip: `198.51.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`,
      country: o.countries[Math.floor(random() * o.countries.length)]!,
    };
    const record: GeneratedRecord = {
      key: event.adId,
      value: JSON.stringify(toWire(event)),
      kind: late ? 'late' : 'valid',
      event,
      partition: partitionForKey(event.adId, o.partitions),
    };
    produced++;
    recent.push(record);
    if (recent.length > 200) recent.shift();
    yield record;
  }
}

/** Collects a whole stream (convenient for tests). */
export function generateAll(options: GeneratorOptions): GeneratedRecord[] {
  return [...generateClicks(options)];
}

function malformed(random: () => number, serial: number, o: ResolvedOptions): GeneratedRecord {
  const good = {
    click_id: `${o.clickPrefix}bad-${serial}`,
    ad_id: `${o.adPrefix}1`,
    click_timestamp: o.startMs,
    user_id: 'u-bad',
    ip: '198.51.100.1',
    country: 'US',
  };
  const variants = [
    () => '{"click_id": "truncated',
    () => JSON.stringify({ ...good, country: 'USA' }),
    () => JSON.stringify({ ...good, ip: '999.1.1.1' }),
    () => JSON.stringify({ ...good, click_timestamp: 'yesterday' }),
    () => JSON.stringify({ ...good, ad_id: 'bad ad id' }),
    () => JSON.stringify({ ...good, click_id: undefined }),
    () => '[]',
  ];
  const value = variants[Math.floor(random() * variants.length)]!();
  return { key: good.ad_id, value, kind: 'malformed', partition: partitionForKey(good.ad_id, o.partitions) };
}

function withDefaults(options: GeneratorOptions): ResolvedOptions {
  const seed = options.seed ?? 1;
  return {
    seed,
    clicks: options.clicks,
    startMs: options.startMs,
    ads: options.ads ?? 1000,
    skew: options.skew ?? 1.1,
    countries: options.countries ?? DEFAULT_COUNTRIES,
    clicksPerSecond: options.clicksPerSecond ?? 200,
    outOfOrderMs: options.outOfOrderMs ?? 3000,
    duplicateFraction: options.duplicateFraction ?? 0.05,
    lateFraction: options.lateFraction ?? 0.01,
    lateByMs: options.lateByMs ?? 300_000,
    malformedFraction: options.malformedFraction ?? 0.01,
    partitions: options.partitions ?? 12,
    adPrefix: options.adPrefix ?? 'ad-',
    clickPrefix: options.clickPrefix ?? `c-${seed}-`,
    clock: options.clock,
  };
}

/** Small, fast, seedable PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Samples ranks 1..n with probability ∝ 1/rank^s by binary search over the cumulative weights
 * (built once: O(n) memory, O(log n) per sample — fine for a 2-million-ad catalogue).
 */
function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += 1 / (i + 1) ** s;
    cumulative[i] = total;
  }
  return () => {
    const target = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}
