/**
 * Groups `items` by the Cassandra partition they write (`partition` names it) into chunks of at
 * most `size`: each chunk can go as one unlogged single-partition batch, which the replica applies
 * as one mutation, where rows of separate partitions cost one mutation each.
 */
export function partitionChunks<T>(items: Iterable<T>, partition: (item: T) => string, size: number): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = partition(item);
    const rows = groups.get(key);
    if (rows === undefined) groups.set(key, [item]);
    else rows.push(item);
  }
  const chunks: T[][] = [];
  for (const rows of groups.values()) {
    for (let i = 0; i < rows.length; i += size) chunks.push(rows.slice(i, i + size));
  }
  return chunks;
}
