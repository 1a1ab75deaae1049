import { describe, expect, it } from 'vitest';
import { partitionChunks } from '../../../../shared/cassandra/partition-batches.ts';

describe('partitionChunks', () => {
  it('puts only rows of one partition in a chunk, at most `size` each, keeping their order', () => {
    const rows = Array.from({ length: 11 }, (_, i) => ({ p: i % 3 === 0 ? 'a' : 'b', i }));
    const chunks = partitionChunks(rows, (r) => r.p, 3);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(3);
      expect(new Set(c.map((r) => r.p)).size).toBe(1);
    }
    expect(
      chunks
        .flat()
        .map((r) => r.i)
        .sort((x, y) => x - y),
    ).toEqual(rows.map((r) => r.i));
    expect(chunks.map((c) => c.map((r) => r.i))).toEqual([[0, 3, 6], [9], [1, 2, 4], [5, 7, 8], [10]]);
    expect(partitionChunks([], String, 5)).toEqual([]);
  });
});
