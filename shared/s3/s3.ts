import { CreateBucketCommand, HeadBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { ErrorCodes } from '../errors/errors.ts';
import { translateS3Error } from './errors.ts';
import { resolveS3Options, type S3Options } from './options.ts';

/**
 * The one place an S3 client is built. Checksums are only sent and validated where the S3 API
 * requires them: recent SDKs add CRC32 checksums to every upload by default, which S3-compatible
 * stores (the local S3Proxy among them) do not all accept.
 *
 * @throws AdclickError `CONFIG_INVALID` naming the failing option.
 */
export function createS3Client(options: S3Options): S3Client {
  const o = resolveS3Options(options);
  return new S3Client({
    endpoint: o.endpoint,
    region: o.region,
    forcePathStyle: o.forcePathStyle,
    credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
    maxAttempts: o.maxAttempts,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: o.connectionTimeoutMs, requestTimeout: o.requestTimeoutMs },
  });
}

/**
 * Creates `bucket` unless it exists; safe to call from several processes at once.
 *
 * @returns true when this call created it.
 * @throws AdclickError translated by `translateS3Error`.
 */
export async function ensureBucket(client: S3Client, bucket: string): Promise<boolean> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (error) {
    const translated = translateS3Error(error, `checking bucket ${bucket}`);
    if (translated.code !== ErrorCodes.NOT_FOUND) throw translated;
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'BucketAlreadyOwnedByYou' || name === 'BucketAlreadyExists') return false;
    throw translateS3Error(error, `creating bucket ${bucket}`);
  }
}

/**
 * Lists the buckets the credentials see: the store's health check.
 *
 * @throws AdclickError translated by `translateS3Error`.
 */
export async function listBuckets(client: S3Client): Promise<string[]> {
  try {
    const out = await client.send(new ListBucketsCommand({}));
    return (out.Buckets ?? []).map((b) => b.Name ?? '');
  } catch (error) {
    throw translateS3Error(error, 'listing buckets');
  }
}

export { translateS3Error } from './errors.ts';
export { type S3Options, s3OptionsFrom } from './options.ts';
