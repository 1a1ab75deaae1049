import { describe, expect, it } from 'vitest';
import { AdclickError } from '../../../../shared/errors/errors.ts';
import { translateRedisError } from '../../../../shared/redis/errors.ts';
import { redactRedisUrl, resolveRedisOptions } from '../../../../shared/redis/options.ts';

function reply(message: string): Error {
  return Object.assign(new Error(message), { name: 'ReplyError' });
}

describe('translateRedisError', () => {
  it.each([
    [
      'refused',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      'UNAVAILABLE',
      true,
    ],
    ['closed', new Error('Connection is closed.'), 'UNAVAILABLE', true],
    [
      'out of retries',
      Object.assign(new Error('Reached the max retries per request limit'), {
        name: 'MaxRetriesPerRequestError',
      }),
      'UNAVAILABLE',
      true,
    ],
    ['loading', reply('LOADING Redis is loading the dataset in memory'), 'UNAVAILABLE', true],
    ['no auth', reply('NOAUTH Authentication required.'), 'UNAUTHENTICATED', false],
    [
      'wrong type',
      reply('WRONGTYPE Operation against a key holding the wrong kind of value'),
      'INTERNAL',
      false,
    ],
    ['timeout', new Error('Command timed out'), 'TIMEOUT', true],
  ] as const)('%s → %s', (_name, error, code, retryable) => {
    const translated = translateRedisError(error, 'enqueueing');
    expect(translated).toBeInstanceOf(AdclickError);
    expect(translated.code).toBe(code);
    expect(translated.retryable).toBe(retryable);
  });
});

describe('redis options', () => {
  it('allows null maxRetriesPerRequest (BullMQ workers) and names a bad url', () => {
    expect(
      resolveRedisOptions({ url: 'redis://h:1', maxRetriesPerRequest: null }).maxRetriesPerRequest,
    ).toBeNull();
    expect(resolveRedisOptions({ url: 'redis://h:1' }).maxRetriesPerRequest).toBe(3);
    expect(() => resolveRedisOptions({ url: 'http://h:1' })).toThrow(/redis\.url/);
  });

  it('never shows a password', () => {
    expect(redactRedisUrl('redis://user:secret@host:6379/0')).toBe('redis://***@host:6379/0');
  });
});
