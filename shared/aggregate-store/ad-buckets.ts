/**
 * Buckets of `speed_ad_minute_counts` (migration 014): the ads of one (slice, hour) are spread
 * over this many partitions. Part of the stored layout: changing it (or `adBucket`) makes rows
 * already written unreachable.
 */
export const AD_BUCKETS = 256;

/**
 * The bucket of an ad: FNV-1a (32-bit) over the id's UTF-16 code units, modulo `AD_BUCKETS`.
 * Independent of Kafka's murmur2 partitioner, so one process's partitions still spread their ads
 * over every bucket.
 */
export function adBucket(adId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < adId.length; i++) {
    h ^= adId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % AD_BUCKETS;
}
