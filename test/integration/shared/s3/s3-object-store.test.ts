import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdclickError, ErrorCodes } from '../../../../shared/errors/errors.ts';
import { silentLogger } from '../../../../shared/logger/logger.ts';
import { s3OptionsFrom } from '../../../../shared/s3/options.ts';
import { createS3Client, listBuckets } from '../../../../shared/s3/s3.ts';
import { S3ObjectStore } from '../../../../shared/s3/s3-object-store.ts';
import { closedPort } from '../../../helpers/ports.ts';
import { requireS3, testConfig } from '../../../helpers/services.ts';

const config = testConfig();
const MiB = 1024 * 1024;
// Small multipart settings so a 12 MiB file exercises three parts.
const store = new S3ObjectStore(
  s3OptionsFrom(config, { multipartThresholdBytes: 6 * MiB, partSizeBytes: 5 * MiB }),
  silentLogger(),
);
const prefix = `test/s3-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}/`;
const workDir = mkdtempSync(join(tmpdir(), 'adclick-s3-'));

beforeAll(async () => {
  await requireS3(config);
  await store.start();
});

afterAll(async () => {
  for (const o of await store.list(prefix).catch(() => [])) await store.delete(o.key);
  await store.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe('S3ObjectStore', () => {
  it('is ready after start and starting creates nothing twice', async () => {
    expect(await store.isReady()).toBe(true);
    await store.start();
  });

  it('puts, lists in key order and gets objects', async () => {
    await store.put(`${prefix}b/2.json`, '{"n":2}', 'application/json');
    await store.put(`${prefix}a/1.bin`, new Uint8Array([1, 2, 3]));
    await store.put(`${prefix}a/1.bin`, new Uint8Array([1, 2, 3, 4]));

    const listed = await store.list(prefix);
    expect(listed.map((o) => o.key)).toEqual([`${prefix}a/1.bin`, `${prefix}b/2.json`]);
    expect(listed[0]?.size).toBe(4);
    expect(listed[0]?.lastModified).toBeInstanceOf(Date);
    expect(await store.list(`${prefix}a/`)).toHaveLength(1);

    expect(Buffer.from(await store.get(`${prefix}b/2.json`)).toString()).toBe('{"n":2}');
    expect([...(await store.get(`${prefix}a/1.bin`))]).toEqual([1, 2, 3, 4]);
  });

  it('lists across pages', async () => {
    const keys = Array.from({ length: 1005 }, (_, i) => `${prefix}many/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, 'x')));
    }
    const listed = await store.list(`${prefix}many/`);
    expect(listed.map((o) => o.key)).toEqual(keys);
  });

  it('uploads and downloads files, multipart above the threshold', async () => {
    for (const size of [1000, 12 * MiB + 123]) {
      const source = join(workDir, `up-${size}`);
      const body = randomBytes(size);
      writeFileSync(source, body);
      const key = `${prefix}files/${size}.bin`;
      await store.putFile(key, source, 'application/octet-stream');
      const target = join(workDir, `down-${size}`);
      await store.getFile(key, target);
      expect(readFileSync(target).equals(body)).toBe(true);
    }
  });

  it('reports a missing key as NOT_FOUND', async () => {
    const error = await store.get(`${prefix}missing`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdclickError);
    expect((error as AdclickError).code).toBe(ErrorCodes.NOT_FOUND);
    expect((error as AdclickError).retryable).toBe(false);
    const fileError = await store
      .getFile(`${prefix}missing`, join(workDir, 'missing'))
      .catch((e: unknown) => e);
    expect((fileError as AdclickError).code).toBe(ErrorCodes.NOT_FOUND);
  });

  it('deletes objects', async () => {
    await store.put(`${prefix}gone`, 'x');
    await store.delete(`${prefix}gone`);
    expect((await store.list(`${prefix}gone`)).length).toBe(0);
  });

  it('deletes a bucket with its objects', async () => {
    const bucket = `t-s3-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    const own = new S3ObjectStore(s3OptionsFrom(config, { bucket }), silentLogger());
    await own.start();
    await own.put('a/one', '1');
    await own.put('b/two', '2');
    expect(await listBuckets(createS3Client(s3OptionsFrom(config)))).toContain(bucket);
    await own.deleteBucket();
    expect(await listBuckets(createS3Client(s3OptionsFrom(config)))).not.toContain(bucket);
  });

  it('reports an unreachable store as retryable UNAVAILABLE', async () => {
    const port = await closedPort();
    const nowhere = new S3ObjectStore(
      s3OptionsFrom(config, { endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 }),
      silentLogger(),
    );
    const error = await nowhere.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdclickError);
    expect((error as AdclickError).code).toBe(ErrorCodes.UNAVAILABLE);
    expect((error as AdclickError).retryable).toBe(true);
  });

  it('rejects wrong credentials', async () => {
    const options = s3OptionsFrom(config, { secretAccessKey: 'wrong-secret' });
    // A signed request with a body names the problem; HEAD (used by start) can only say 403.
    const listError = await listBuckets(createS3Client(options)).catch((e: unknown) => e);
    expect((listError as AdclickError).code).toBe(ErrorCodes.UNAUTHENTICATED);
    const startError = await new S3ObjectStore(options, silentLogger()).start().catch((e: unknown) => e);
    expect((startError as AdclickError).code).toBe(ErrorCodes.FORBIDDEN);
    expect((startError as AdclickError).retryable).toBe(false);
  });
});
