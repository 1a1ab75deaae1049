import { describe, expect, it } from 'vitest';
import { ClickIdSet } from '../../../../speed-layer/aggregate/click-id-set.ts';

const ids = (n: number, prefix = 'c') =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i}-${(i * 7919) % 100_003}`);

describe('ClickIdSet', () => {
  it('adds an id once: a second add of the same id reports a duplicate', () => {
    const set = new ClickIdSet();
    expect(set.add('click-1')).toBe(true);
    expect(set.add('click-1')).toBe(false);
    expect(set.add('click-2')).toBe(true);
    expect(set.has('click-1')).toBe(true);
    expect(set.has('click-3')).toBe(false);
    expect(set.size).toBe(2);
  });

  it('keeps every one of 300,000 distinct ids apart while it grows, and finds each again', () => {
    const all = ids(300_000);
    const set = new ClickIdSet();
    let added = 0;
    for (const id of all) if (set.add(id)) added++;
    expect(added).toBe(all.length);
    expect(set.size).toBe(all.length);
    expect(all.every((id) => set.has(id))).toBe(true);
    expect(ids(1000, 'other').some((id) => set.has(id))).toBe(false);
    // 12 bytes a slot, at most 70% of them taken after the last growth, at least 35%.
    expect(set.byteLength).toBeLessThanOrEqual((all.length / 0.35) * 12);
  });

  it('tells ids apart that differ in one character, in order, or only by length', () => {
    const set = ClickIdSet.of(['ab', 'ba', 'a', 'abc', 'ab\u0000', '', 'é', 'e\u0301']);
    expect(set.size).toBe(8);
  });

  it('round-trips through base64 (snapshots) with the same members and size', () => {
    const all = ids(5000);
    const set = ClickIdSet.of(all);
    const back = ClickIdSet.fromBase64(set.toBase64());
    expect(back.size).toBe(5000);
    expect(all.every((id) => back.has(id))).toBe(true);
    expect(back.add(all[0]!)).toBe(false);
    expect(ClickIdSet.fromBase64(new ClickIdSet().toBase64()).size).toBe(0);
  });
});
