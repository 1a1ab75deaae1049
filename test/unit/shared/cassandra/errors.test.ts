import { errors, types } from 'cassandra-driver';
import { describe, expect, it } from 'vitest';
import { translateCassandraError } from '../../../../shared/cassandra/errors.ts';
import { cassandraOptionsFrom, validateCassandraOptions } from '../../../../shared/cassandra/options.ts';
import { loadConfig } from '../../../../shared/config/config.ts';
import { AdclickError, ErrorCodes } from '../../../../shared/errors/errors.ts';

const codes = types.responseErrorCodes;

describe('translateCassandraError', () => {
  it('maps an unreachable cluster to a retryable UNAVAILABLE naming every address tried', () => {
    const error = new errors.NoHostAvailableError({
      '10.0.0.1:9042': new Error('connect ECONNREFUSED'),
      '10.0.0.2:9042': new Error('connect ETIMEDOUT'),
    });
    const translated = translateCassandraError(error, { operation: 'connect' });
    expect(translated).toMatchObject({ code: ErrorCodes.UNAVAILABLE, retryable: true });
    expect(translated.message).toContain('10.0.0.1:9042: connect ECONNREFUSED');
    expect(translated.message).toContain('10.0.0.2:9042: connect ETIMEDOUT');
    expect(translated.details.addresses).toEqual(['10.0.0.1:9042', '10.0.0.2:9042']);
    expect(translated.cause).toBe(error);
  });

  it('names the contact points when the driver tried no host', () => {
    const translated = translateCassandraError(new errors.NoHostAvailableError({}), {
      contactPoints: ['db.example:9042'],
    });
    expect(translated.message).toContain('db.example:9042');
  });

  it.each([
    ['unavailable', codes.unavailableException, ErrorCodes.UNAVAILABLE],
    ['overloaded', codes.overloaded, ErrorCodes.UNAVAILABLE],
    ['bootstrapping', codes.isBootstrapping, ErrorCodes.UNAVAILABLE],
    ['write timeout', codes.writeTimeout, ErrorCodes.TIMEOUT],
    ['read timeout', codes.readTimeout, ErrorCodes.TIMEOUT],
  ])('maps a server %s to a retryable %s', (_name, code, expected) => {
    expect(translateCassandraError(new errors.ResponseError(code, 'x'))).toMatchObject({
      code: expected,
      retryable: true,
    });
  });

  it('maps a client-side timeout to a retryable TIMEOUT', () => {
    const translated = translateCassandraError(
      new errors.OperationTimedOutError('no answer', '127.0.0.1:19042'),
    );
    expect(translated).toMatchObject({ code: ErrorCodes.TIMEOUT, retryable: true });
    expect(translated.details.address).toBe('127.0.0.1:19042');
  });

  it.each([
    ['syntax error', codes.syntaxError],
    ['invalid request', codes.invalid],
    ['already exists', codes.alreadyExists],
  ])('maps a %s to INTERNAL, not retryable', (_name, code) => {
    expect(
      translateCassandraError(new errors.ResponseError(code, 'bad'), { operation: 'write x' }),
    ).toMatchObject({
      code: ErrorCodes.INTERNAL,
      retryable: false,
      message: 'Cassandra write x rejected the statement: bad',
    });
  });

  it('maps refused credentials to CONFIG_INVALID', () => {
    expect(translateCassandraError(new errors.AuthenticationError('bad password')).code).toBe(
      ErrorCodes.CONFIG_INVALID,
    );
    expect(translateCassandraError(new errors.ResponseError(codes.badCredentials, 'no')).code).toBe(
      ErrorCodes.CONFIG_INVALID,
    );
  });

  it('keeps an AdclickError and wraps anything else as INTERNAL', () => {
    const own = new AdclickError(ErrorCodes.TIMEOUT, 'mine', { retryable: true });
    expect(translateCassandraError(own)).toBe(own);
    expect(translateCassandraError(new TypeError('boom'))).toMatchObject({
      code: ErrorCodes.INTERNAL,
      retryable: false,
    });
  });
});

describe('cassandraOptionsFrom', () => {
  it('takes contact points, data center and keyspace from the configuration', () => {
    const options = cassandraOptionsFrom(loadConfig({}, '/tmp'));
    expect(options).toMatchObject({
      contactPoints: ['127.0.0.1:19042'],
      localDataCenter: 'datacenter1',
      keyspace: 'adclick',
      consistency: 'localQuorum',
    });
    expect(() => validateCassandraOptions(options)).not.toThrow();
    expect(cassandraOptionsFrom(loadConfig({}, '/tmp'), { keyspace: undefined }).keyspace).toBeUndefined();
  });

  it('names the failing option', () => {
    const base = cassandraOptionsFrom(loadConfig({}, '/tmp'));
    expect(() => validateCassandraOptions({ ...base, contactPoints: ['127.0.0.1'] })).toThrow(
      /cassandra\.contactPoints\[0\]: expected host:port/,
    );
    expect(() => validateCassandraOptions({ ...base, keyspace: 'Bad-Name' })).toThrow(/cassandra\.keyspace/);
    expect(() => validateCassandraOptions({ ...base, username: 'u' })).toThrow(/cassandra\.username/);
    expect(() => validateCassandraOptions({ ...base, requestTimeoutMs: 0 })).toThrow(
      /cassandra\.requestTimeoutMs/,
    );
  });
});
