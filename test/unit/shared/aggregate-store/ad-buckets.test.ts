import { describe, expect, it } from 'vitest';
import { AD_BUCKETS, adBucket } from '../../../../shared/aggregate-store/ad-buckets.ts';

describe('adBucket', () => {
  it('is FNV-1a of the id modulo the bucket count (the stored layout depends on it)', () => {
    // FNV-1a 32-bit reference values: "" → 0x811c9dc5, "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
    expect(AD_BUCKETS).toBe(256);
    expect(adBucket('')).toBe(0xc5);
    expect(adBucket('a')).toBe(0x2c);
    expect(adBucket('foobar')).toBe(0x68);
  });

  it('spreads generated ad ids evenly over the buckets', () => {
    const counts = new Array<number>(AD_BUCKETS).fill(0);
    for (let i = 0; i < 256_000; i++) counts[adBucket(`ad-${i}`)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(1000 * 0.85);
    expect(Math.max(...counts)).toBeLessThan(1000 * 1.15);
  });
});
