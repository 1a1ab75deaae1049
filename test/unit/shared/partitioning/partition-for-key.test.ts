import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../../shared/partitioning/partition-for-key.ts';

describe('partitionForKey', () => {
  it("agrees with kafkajs's default (Java-compatible) partitioner for keys of every tail length", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 12 }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    for (const key of ['a', 'ab', 'abc', 'abcd', 'ad-1', 'ad-12345', '광고', 'x'.repeat(65)]) {
      const expected = partitioner({ topic: 't', partitionMetadata, message: { key, value: 'v' } });
      expect(partitionForKey(key, 12), key).toBe(expected);
    }
  });

  it('stays within range', () => {
    for (let i = 0; i < 1000; i++) {
      const p = partitionForKey(`ad-${i}`, 7);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(7);
    }
  });
});
