import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';
import type { Logger } from '../logger/logger.ts';
import type { ObjectInfo, ObjectStore } from '../object-store/types.ts';
import { translateS3Error } from './errors.ts';
import { type ResolvedS3Options, resolveS3Options, type S3Options } from './options.ts';
import { createS3Client, ensureBucket } from './s3.ts';

/** The `ObjectStore` port on S3 or any S3-compatible store, inside one bucket. */
export class S3ObjectStore implements ObjectStore {
  private readonly logger: Logger;
  private readonly rawOptions: S3Options;
  private options: ResolvedS3Options | undefined;
  private client: S3Client | undefined;

  constructor(options: S3Options, logger: Logger) {
    this.rawOptions = options;
    this.logger = logger.child({ component: 's3-object-store' });
  }

  /** Validates the options, creates the bucket if needed and checks access. */
  async start(): Promise<void> {
    if (this.client) return;
    const options = resolveS3Options(this.rawOptions);
    const client = createS3Client(options);
    try {
      if (await ensureBucket(client, options.bucket)) {
        this.logger.info({ bucket: options.bucket }, 'created bucket');
      }
    } catch (error) {
      client.destroy();
      throw error;
    }
    this.options = options;
    this.client = client;
  }

  async close(): Promise<void> {
    this.client?.destroy();
    this.client = undefined;
  }

  async isReady(): Promise<boolean> {
    if (!this.client || !this.options) return false;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
      return true;
    } catch {
      return false;
    }
  }

  async put(key: string, body: Uint8Array | string, contentType?: string): Promise<void> {
    const { client, bucket } = this.use();
    await call(`putting ${key}`, () =>
      client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType })),
    );
  }

  async putFile(key: string, filePath: string, contentType?: string): Promise<void> {
    const { client, bucket, options } = this.use();
    const { size } = await stat(filePath);
    if (size <= options.multipartThresholdBytes) {
      await call(`uploading ${filePath} to ${key}`, () =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: createReadStream(filePath),
            ContentLength: size,
            ContentType: contentType,
          }),
        ),
      );
      return;
    }
    await this.putMultipart(key, filePath, size, contentType);
  }

  /** Parts are read and sent one at a time, so memory stays at one part whatever the file size. */
  private async putMultipart(key: string, filePath: string, size: number, contentType?: string) {
    const { client, bucket, options } = this.use();
    const context = `multipart upload of ${filePath} to ${key}`;
    const { UploadId } = await call(context, () =>
      client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType })),
    );
    if (!UploadId) throw new AdclickError(ErrorCodes.INTERNAL, `${context}: the store returned no upload id`);
    const file = await open(filePath, 'r');
    try {
      const parts: Array<{ ETag: string | undefined; PartNumber: number }> = [];
      const buffer = Buffer.allocUnsafe(options.partSizeBytes);
      for (let offset = 0, partNumber = 1; offset < size; offset += options.partSizeBytes, partNumber++) {
        const length = Math.min(options.partSizeBytes, size - offset);
        await file.read(buffer, 0, length, offset);
        const out = await call(context, () =>
          client.send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: key,
              UploadId,
              PartNumber: partNumber,
              Body: buffer.subarray(0, length),
              ContentLength: length,
            }),
          ),
        );
        parts.push({ ETag: out.ETag, PartNumber: partNumber });
      }
      await call(context, () =>
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId,
            MultipartUpload: { Parts: parts },
          }),
        ),
      );
    } catch (error) {
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }))
        .catch((abortError: unknown) =>
          this.logger.warn({ key, err: String(abortError) }, 'could not abort a failed multipart upload'),
        );
      throw error;
    } finally {
      await file.close();
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const { client, bucket } = this.use();
    return call(`getting ${key}`, async () => {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!out.Body) return new Uint8Array();
      return out.Body.transformToByteArray();
    });
  }

  /** Writes to `<filePath>.part` first, so a failed download never leaves a truncated file. */
  async getFile(key: string, filePath: string): Promise<void> {
    const { client, bucket } = this.use();
    const partial = `${filePath}.part`;
    try {
      await call(`downloading ${key} to ${filePath}`, async () => {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        await pipeline(out.Body as Readable, createWriteStream(partial));
      });
      await rename(partial, filePath);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const { client, bucket } = this.use();
    const items: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      const page = await call(`listing ${prefix}`, () =>
        client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        items.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const { client, bucket } = this.use();
    await call(`deleting ${key}`, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
  }

  /**
   * Deletes every object of the bucket and then the bucket itself, and closes the store. Not part
   * of the `ObjectStore` port: the lake's bucket is never dropped by the system; this is for
   * short-lived buckets (one per test pipeline) that must not pile up in the store.
   */
  async deleteBucket(): Promise<void> {
    const { client, bucket } = this.use();
    for (const object of await this.list('')) await this.delete(object.key);
    await call(`deleting bucket ${bucket}`, () => client.send(new DeleteBucketCommand({ Bucket: bucket })));
    await this.close();
  }

  private use(): { client: S3Client; bucket: string; options: ResolvedS3Options } {
    if (!this.client || !this.options) {
      throw new AdclickError(ErrorCodes.NOT_STARTED, 'S3ObjectStore used before start() or after close()');
    }
    return { client: this.client, bucket: this.options.bucket, options: this.options };
  }
}

async function call<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translateS3Error(error, context);
  }
}
