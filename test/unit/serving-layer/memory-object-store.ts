import { readFile, writeFile } from 'node:fs/promises';
import { AdclickError, ErrorCodes } from '../../../shared/errors/errors.ts';
import type { ObjectInfo, ObjectStore } from '../../../shared/object-store/types.ts';

/** An in-memory ObjectStore for unit tests; counts writes so tests can prove nothing was written. */
export class MemoryObjectStore implements ObjectStore {
  objects = new Map<string, { body: Uint8Array; at: Date }>();
  writes = 0;
  async start() {}
  async close() {}
  async isReady() {
    return true;
  }
  async put(key: string, body: Uint8Array | string) {
    this.writes++;
    this.objects.set(key, {
      body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
      at: new Date(),
    });
  }
  async putFile(key: string, path: string) {
    await this.put(key, await readFile(path));
  }
  async get(key: string) {
    const o = this.objects.get(key);
    if (o === undefined) throw new AdclickError(ErrorCodes.NOT_FOUND, key);
    return o.body;
  }
  async getFile(key: string, path: string) {
    await writeFile(path, await this.get(key));
  }
  async list(prefix: string): Promise<ObjectInfo[]> {
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, o]) => ({
        key,
        size: o.body.length,
        lastModified: new Date(Math.floor(o.at.getTime() / 1000) * 1000),
      }));
  }
  async delete(key: string) {
    this.objects.delete(key);
  }
}
