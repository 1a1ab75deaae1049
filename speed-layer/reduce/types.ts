import type { TopList } from '../../shared/aggregate-store/types.ts';

/** A top list of the ads of one Kafka partition (the reduce node's local step). */
export interface PartitionTopList extends TopList {
  partition: number;
}

/**
 * The reduce node's global step (port): stores the local lists of the partitions this process
 * holds and writes the global top-N of every window end they touch, across every process of the
 * consumer group (`CassandraGlobalTopLists`).
 */
export interface GlobalTopLists {
  /** @returns the global lists written. */
  publish(lists: readonly PartitionTopList[]): Promise<TopList[]>;
}
