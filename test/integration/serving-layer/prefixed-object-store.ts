import type { ObjectInfo, ObjectStore } from '../../../shared/object-store/types.ts';

/** An object store seen under a key prefix, so a test's writes stay inside its own folder. */
export class PrefixedObjectStore implements ObjectStore {
  constructor(
    private readonly inner: ObjectStore,
    private readonly prefix: string,
  ) {}
  start = () => this.inner.start();
  close = async () => {};
  isReady = () => this.inner.isReady();
  put = (key: string, body: Uint8Array | string, type?: string) =>
    this.inner.put(this.prefix + key, body, type);
  putFile = (key: string, path: string, type?: string) => this.inner.putFile(this.prefix + key, path, type);
  get = (key: string) => this.inner.get(this.prefix + key);
  getFile = (key: string, path: string) => this.inner.getFile(this.prefix + key, path);
  delete = (key: string) => this.inner.delete(this.prefix + key);
  list = async (prefix: string): Promise<ObjectInfo[]> =>
    (await this.inner.list(this.prefix + prefix)).map((o) => ({
      ...o,
      key: o.key.slice(this.prefix.length),
    }));
}
