/** A bearer token of the query API (SPEC A8). */
export interface ApiToken {
  token: string;
  /** `admin` sees everything; `scoped` sees only ads whose id starts with one of `adPrefixes`. */
  role: 'admin' | 'scoped';
  adPrefixes: string[];
}

/** Ports of the local infrastructure. */
export interface LocalPorts {
  kafka: number;
  kafkaController: number;
  cassandra: number;
  cassandraStorage: number;
  s3: number;
  redis: number;
}

/** The whole validated configuration of an adclick process. */
export interface AdclickConfig {
  /** Folder for local infrastructure (downloads, data, logs, pid files) and local caches. */
  home: string;
  /** Ports of the local services `adclick up` runs (the defaults shifted by `LOCAL_PORT_OFFSET`). */
  localPorts: LocalPorts;
  /** Address servers listen on. */
  bindHost: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  kafka: {
    brokers: string[];
    /** True when `KAFKA_BROKERS` was not set: `adclick up` runs a local broker. */
    local: boolean;
    clientId: string;
    topic: string;
    dlqTopic: string;
    /** Partitions of `topic` when adclick creates it. */
    partitions: number;
    replicationFactor: number;
  };
  cassandra: {
    contactPoints: string[];
    local: boolean;
    localDataCenter: string;
    keyspace: string;
    replicationFactor: number;
    username?: string;
    password?: string;
  };
  s3: {
    endpoint?: string;
    local: boolean;
    bucket: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
  };
  redis: {
    url: string;
    local: boolean;
    /** Prefix of every BullMQ key, so several deployments can share one Redis. */
    queuePrefix: string;
  };
  aggregation: {
    /** Dimensions of the star schema; each value of each dimension is a filter slice. */
    dimensions: string[];
    /** Sliding windows (minutes) served by `popular_ads`. */
    windowsMinutes: number[];
    /** Largest N of top-N lists kept (and the largest `count` the API accepts). */
    topN: number;
    /** Watermark = max event time − allowed lateness. */
    allowedLatenessMs: number;
    /** After this long without events a partition's watermark follows processing time. */
    idleTimeoutMs: number;
  };
  batch: {
    /** Cron (UTC) of the scan that queues closed, dirty hours for recompute. */
    hourlyCron: string;
    /** Cron (UTC) of the nightly recompute of yesterday plus reconciliation. */
    nightlyCron: string;
    /** An hour is recomputed once it ended more than allowed lateness + this margin ago. */
    closeMarginMs: number;
    /** Parquet writer of the archiver. */
    parquetWriter: 'duckdb' | 'parquetjs';
    /** The archiver uploads a file per partition when it holds this many rows… */
    archiveMaxRows: number;
    /** …or when its oldest row waited this long. */
    archiveMaxAgeMs: number;
  };
  serving: {
    /** Freshness budget: how long reads of open speed minutes (and answers on them) are reused. */
    liveCacheMs: number;
  };
  ports: {
    api: number;
    collector: number;
    /** Metrics endpoint of the speed layer, archiver and batch workers (each adds its own offset). */
    metrics: number;
  };
  apiTokens: ApiToken[];
}
