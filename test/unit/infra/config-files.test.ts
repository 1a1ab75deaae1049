import { describe, expect, it } from 'vitest';
import { kafkaJvmArgs, serverProperties } from '../../../infra/kafka/config.ts';
import { redisConf } from '../../../infra/redis/config.ts';
import { s3proxyProperties } from '../../../infra/s3/config.ts';

function parseProperties(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('Kafka server.properties', () => {
  const layout = {
    libDir: '/h/cache/kafka/lib',
    dataDir: '/h/data/kafka',
    port: 19092,
    controllerPort: 19093,
  };
  const props = parseProperties(serverProperties(layout));

  it('is a combined KRaft node on loopback with the configured ports', () => {
    expect(props['process.roles']).toBe('broker,controller');
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:19093');
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:19092');
  });

  it('keeps data under <home>/data/kafka and never auto-creates topics', () => {
    expect(props['log.dirs']).toBe('/h/data/kafka/data');
    expect(props['auto.create.topics.enable']).toBe('false');
    expect(props['offsets.topic.replication.factor']).toBe('1');
  });

  it('runs with a bounded heap and the generated log4j config', () => {
    const args = kafkaJvmArgs(layout);
    expect(args).toContain('-Xmx1G');
    expect(args).toContain('-Dlog4j.configuration=file:/h/data/kafka/conf/log4j.properties');
    expect(args.slice(-2)).toEqual(['-cp', '/h/cache/kafka/lib/*']);
  });
});

describe('S3Proxy properties', () => {
  it('uses the filesystem backend under <home>/data/s3 and requires the local credentials', () => {
    const props = parseProperties(
      s3proxyProperties({
        libDir: '/h/cache/s3/lib',
        dataDir: '/h/data/s3',
        port: 19000,
        accessKeyId: 'key',
        secretAccessKey: 'secret',
      }),
    );
    expect(props).toMatchObject({
      's3proxy.endpoint': 'http://127.0.0.1:19000',
      's3proxy.authorization': 'aws-v2-or-v4',
      's3proxy.identity': 'key',
      's3proxy.credential': 'secret',
      'jclouds.provider': 'filesystem',
      'jclouds.filesystem.basedir': '/h/data/s3/blobs',
    });
  });
});

describe('redis.conf', () => {
  it('persists every write, never evicts, and stays in the foreground on loopback', () => {
    const lines = redisConf({ dataDir: '/h/data/redis', port: 16379 }).split('\n');
    for (const expected of [
      'bind 127.0.0.1',
      'port 16379',
      'daemonize no',
      'dir /h/data/redis',
      'appendonly yes',
      'maxmemory-policy noeviction',
    ]) {
      expect(lines).toContain(expected);
    }
  });
});
