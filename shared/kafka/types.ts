/** A topic adclick creates when it is missing. */
export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** Default 1 (one local broker). */
  replicationFactor?: number;
  /** Topic-level configs, e.g. `{ 'retention.ms': '-1' }`. */
  config?: Record<string, string>;
}
