import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { AdclickError, ErrorCodes } from '../../../../shared/errors/errors.ts';
import { translateKafkaError } from '../../../../shared/kafka/errors.ts';
import { resolveKafkaOptions } from '../../../../shared/kafka/options.ts';

const {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSNonRetriableError,
} = kafkajs;

function protocol(type: string, retriable: boolean) {
  return new KafkaJSProtocolError({ message: `broker said ${type}`, type, code: 1, retriable } as never);
}

describe('translateKafkaError', () => {
  it.each([
    ['a connection error', new KafkaJSConnectionError('Connection error: ECONNREFUSED'), 'UNAVAILABLE', true],
    [
      'retries exhausted on a connection error',
      new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('refused'), {
        retryCount: 5,
        retryTime: 1,
      }),
      'UNAVAILABLE',
      true,
    ],
    ['a leader change', protocol('NOT_LEADER_OR_FOLLOWER', true), 'UNAVAILABLE', true],
    ['an unknown topic', protocol('UNKNOWN_TOPIC_OR_PARTITION', true), 'NOT_FOUND', true],
    ['a denied topic', protocol('TOPIC_AUTHORIZATION_FAILED', false), 'FORBIDDEN', false],
    ['a failed SASL handshake', protocol('SASL_AUTHENTICATION_FAILED', false), 'UNAUTHENTICATED', false],
    ['an oversized message', protocol('MESSAGE_TOO_LARGE', false), 'INVALID_INPUT', false],
    ['a non-retriable kafkajs error', new KafkaJSNonRetriableError('bad state'), 'INTERNAL', false],
    ['a socket error', Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'UNAVAILABLE', true],
    ['anything else', new TypeError('x is undefined'), 'INTERNAL', false],
  ] as const)('%s → %s', (_name, error, code, retryable) => {
    const translated = translateKafkaError(error, 'producing to ad-clicks');
    expect(translated).toBeInstanceOf(AdclickError);
    expect(translated.code).toBe(code);
    expect(translated.retryable).toBe(retryable);
    expect(translated.message).toMatch(/^producing to ad-clicks failed: /);
    expect(translated.cause).toBe(error);
  });

  it('keeps an AdclickError as it is', () => {
    const original = new AdclickError(ErrorCodes.TIMEOUT, 'slow');
    expect(translateKafkaError(original)).toBe(original);
  });
});

describe('resolveKafkaOptions', () => {
  it('fills defaults', () => {
    const o = resolveKafkaOptions({ brokers: ['127.0.0.1:19092'], clientId: 'x', retry: { retries: 2 } });
    expect(o.retry).toEqual({ retries: 2, initialRetryTimeMs: 300, maxRetryTimeMs: 10_000 });
    expect(o.logLevel).toBe('warn');
  });

  it('names the failing option', () => {
    expect(() => resolveKafkaOptions({ brokers: ['nohost'], clientId: 'x' })).toThrow(/kafka\.brokers\[0\]/);
    expect(() => resolveKafkaOptions({ brokers: [], clientId: 'x' })).toThrow(/kafka\.brokers: /);
    expect(() => resolveKafkaOptions({ brokers: ['h:1'], clientId: 'x', connectionTimeoutMs: 0 })).toThrow(
      /kafka\.connectionTimeoutMs/,
    );
  });
});
