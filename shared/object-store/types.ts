/** One object in an `ObjectStore` listing. */
export interface ObjectInfo {
  key: string;
  size: number;
  lastModified: Date;
}

/**
 * The raw lake and aggregate store port (S3 in production, `S3ObjectStore`). Keys are
 * `/`-separated paths inside the configured bucket.
 */
export interface ObjectStore {
  /** Creates the bucket if needed and checks access. */
  start(): Promise<void>;
  close(): Promise<void>;
  isReady(): Promise<boolean>;
  /** Writes (or overwrites) one object; idempotent for the same key and body. */
  put(key: string, body: Uint8Array | string, contentType?: string): Promise<void>;
  /** Uploads a local file (streamed, multipart when large). */
  putFile(key: string, filePath: string, contentType?: string): Promise<void>;
  /** @throws AdclickError `NOT_FOUND` when the key does not exist. */
  get(key: string): Promise<Uint8Array>;
  /** Downloads one object to a local file (streamed). */
  getFile(key: string, filePath: string): Promise<void>;
  /** Every object under `prefix`, in key order, across pages. */
  list(prefix: string): Promise<ObjectInfo[]>;
  delete(key: string): Promise<void>;
}
