import { describe, expect, it } from 'vitest';
import { AdclickError } from '../../../../shared/errors/errors.ts';
import { translateS3Error } from '../../../../shared/s3/errors.ts';
import { resolveS3Options } from '../../../../shared/s3/options.ts';

function awsError(name: string, status?: number): Error {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
  });
}

describe('translateS3Error', () => {
  it.each([
    ['NoSuchKey', awsError('NoSuchKey', 404), 'NOT_FOUND', false],
    ['HEAD 404', awsError('NotFound', 404), 'NOT_FOUND', false],
    ['NoSuchBucket', awsError('NoSuchBucket', 404), 'NOT_FOUND', false],
    ['bad signature', awsError('SignatureDoesNotMatch', 403), 'UNAUTHENTICATED', false],
    ['denied', awsError('AccessDenied', 403), 'FORBIDDEN', false],
    ['throttled', awsError('SlowDown', 503), 'UNAVAILABLE', true],
    ['server error', awsError('InternalError', 500), 'UNAVAILABLE', true],
    [
      'connection refused',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'UNAVAILABLE',
      true,
    ],
    ['request timeout', awsError('TimeoutError'), 'TIMEOUT', true],
    ['bad request', awsError('InvalidArgument', 400), 'INVALID_INPUT', false],
    ['anything else', new TypeError('oops'), 'INTERNAL', false],
  ] as const)('%s → %s', (_name, error, code, retryable) => {
    const translated = translateS3Error(error, 'getting raw/x.parquet');
    expect(translated).toBeInstanceOf(AdclickError);
    expect(translated.code).toBe(code);
    expect(translated.retryable).toBe(retryable);
    expect(translated.message).toMatch(/^getting raw\/x\.parquet failed: /);
  });
});

describe('resolveS3Options', () => {
  const base = {
    endpoint: 'http://127.0.0.1:19000',
    region: 'us-east-1',
    bucket: 'adclick',
    accessKeyId: 'k',
    secretAccessKey: 's',
    forcePathStyle: true,
  };

  it('fills defaults', () => {
    expect(resolveS3Options(base)).toMatchObject({ maxAttempts: 3, partSizeBytes: 16 * 1024 * 1024 });
  });

  it('names the failing option', () => {
    expect(() => resolveS3Options({ ...base, bucket: 'Bad_Bucket' })).toThrow(/s3\.bucket/);
    expect(() => resolveS3Options({ ...base, endpoint: 'localhost:9000' })).toThrow(/s3\.endpoint/);
    expect(() => resolveS3Options({ ...base, partSizeBytes: 1024 })).toThrow(/s3\.partSizeBytes/);
  });
});
