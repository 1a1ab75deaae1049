/** What every stateful component offers: explicit start, clean close, and a ready check. */
export interface Lifecycle {
  /** Connects, creates what it needs, and validates its options. Safe to call once. */
  start(): Promise<void>;
  /** Flushes what it owes and releases connections; idempotent. */
  close(): Promise<void>;
  /** True once started and its dependencies answer. */
  isReady(): boolean | Promise<boolean>;
}
