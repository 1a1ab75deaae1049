import type { AdclickConfig } from '../config/types.ts';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';

/** Options of `createS3Client` and `S3ObjectStore`. */
export interface S3Options {
  /** Endpoint URL of an S3-compatible store; unset means AWS itself. */
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style addressing (`endpoint/bucket/key`), which most S3-compatible stores need. */
  forcePathStyle: boolean;
  /** Total attempts per request including the first (default 3). */
  maxAttempts?: number;
  /** TCP connect timeout (default 3 s). */
  connectionTimeoutMs?: number;
  /** Time a request may stay without a response (default 60 s). */
  requestTimeoutMs?: number;
  /** `putFile` switches to a multipart upload above this size (default 64 MiB). */
  multipartThresholdBytes?: number;
  /** Size of each multipart part (default 16 MiB; S3 requires ≥ 5 MiB except the last). */
  partSizeBytes?: number;
}

export const S3_DEFAULTS = {
  maxAttempts: 3,
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 60_000,
  multipartThresholdBytes: 64 * 1024 * 1024,
  partSizeBytes: 16 * 1024 * 1024,
} as const;

/** `S3Options` with every default filled in. */
export type ResolvedS3Options = Required<Omit<S3Options, 'endpoint'>> & { endpoint?: string };

/** The S3 options of a process, from its configuration. */
export function s3OptionsFrom(config: AdclickConfig, overrides: Partial<S3Options> = {}): S3Options {
  const { endpoint, region, bucket, accessKeyId, secretAccessKey, forcePathStyle } = config.s3;
  return { endpoint, region, bucket, accessKeyId, secretAccessKey, forcePathStyle, ...overrides };
}

/**
 * Fills defaults and checks every field.
 *
 * @throws AdclickError `CONFIG_INVALID` naming the failing path (e.g. `s3.partSizeBytes`).
 */
export function resolveS3Options(options: S3Options): ResolvedS3Options {
  const fail = (path: string, reason: string): never => {
    throw new AdclickError(ErrorCodes.CONFIG_INVALID, `s3.${path}: ${reason}`, { details: { path } });
  };
  if (options.endpoint !== undefined && !/^https?:\/\/\S+$/.test(options.endpoint)) {
    fail('endpoint', `expected an http(s) URL, got "${options.endpoint}"`);
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
    fail('bucket', `not a valid bucket name: "${options.bucket}"`);
  }
  if (options.region === '') fail('region', 'must not be empty');
  if (options.accessKeyId === '') fail('accessKeyId', 'must not be empty');
  if (options.secretAccessKey === '') fail('secretAccessKey', 'must not be empty');
  const resolved = { ...S3_DEFAULTS, ...options };
  for (const key of Object.keys(S3_DEFAULTS) as Array<keyof typeof S3_DEFAULTS>) {
    const value = resolved[key];
    if (!Number.isInteger(value) || value <= 0) fail(key, `expected a positive whole number, got ${value}`);
  }
  if (resolved.partSizeBytes < 5 * 1024 * 1024) fail('partSizeBytes', 'S3 requires parts of at least 5 MiB');
  return resolved;
}
