import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, waitFor } from '../../../shared/async/wait-for.ts';
import {
  endOffsets,
  expectViewMatches,
  openStore,
  produce,
  recountOf,
  type SpeedFixture,
  speedFixture,
  testStream,
} from './speed-fixture.ts';

/** Sum of the next offsets in the saved snapshots, and each partition's. */
async function savedOffsets(f: SpeedFixture): Promise<Map<number, string>> {
  const rs = await f.keyspace.client.execute(
    'SELECT partition, offset FROM speed_snapshots WHERE consumer_group = ?',
    [f.groupId],
    { prepare: true },
  );
  // A row claimed by a restore that has not saved a snapshot yet has no offset.
  return new Map(
    rs.rows.filter((r) => r.offset !== null).map((r) => [r.partition as number, String(r.offset)]),
  );
}

const total = (m: Map<number, string>) => [...m.values()].reduce((s, v) => s + Number(v), 0);

function startSpeed(f: SpeedFixture, output: string[]): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'cli/main.ts',
      'speed',
      '--group',
      f.groupId,
      '--flush-interval',
      '200',
      '--session-timeout',
      '6000',
      '--metrics-port',
      '0',
    ],
    {
      env: {
        ...process.env,
        KAFKA_TOPIC: f.topic,
        KAFKA_DLQ_TOPIC: f.dlqTopic,
        CASSANDRA_KEYSPACE: f.keyspace.keyspace,
        ALLOWED_LATENESS_MS: String(f.config.aggregation.allowedLatenessMs),
        IDLE_TIMEOUT_MS: String(f.config.aggregation.idleTimeoutMs),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  return child;
}

describe('speed layer killed with SIGKILL mid-stream', () => {
  let f: SpeedFixture;
  beforeAll(async () => {
    f = await speedFixture('kill');
  });
  afterAll(async () => {
    await f?.cleanup();
  });

  it('ends with exactly the recount after three kill -9 and restarts', async () => {
    const records = testStream(33, 8000);
    const recount = recountOf(records);
    const output: string[] = [];
    let child = startSpeed(f, output);
    let producing = true;
    let produced = 0;
    let killsDone: () => void = () => undefined;
    const afterKills = new Promise<void>((resolve) => {
      killsDone = resolve;
    });
    // The stream flows in small chunks; its last fifth waits for the kills, so each kill lands
    // mid-stream however slow the machine is.
    const producer = (async () => {
      const chunk = 100;
      const held = Math.floor((records.length * 0.8) / chunk) * chunk;
      for (let i = 0; i < records.length; i += chunk) {
        if (i === held) await afterKills;
        await produce(f, records.slice(i, i + chunk));
        produced = Math.min(records.length, i + chunk);
        await sleep(150);
      }
      producing = false;
    })();
    try {
      for (let kill = 0; kill < 3; kill++) {
        const before = total(await savedOffsets(f));
        // Kill once this child has saved at least one snapshot of its own (or has caught up with
        // everything produced while the last fifth is held back), at a random moment after.
        await waitFor(
          async () => {
            const saved = total(await savedOffsets(f));
            return saved > before || saved === produced;
          },
          {
            timeoutMs: 60_000,
            description: `speed child ${kill + 1} to save a snapshot; output: ${output.join('').slice(-2000)}`,
          },
        );
        await sleep(Math.floor(Math.random() * 1500));
        expect(producing, 'the kill must happen while the stream still flows').toBe(true);
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        child = startSpeed(f, output);
      }
      killsDone();
      await producer;
      const ends = endOffsets(records);
      await waitFor(
        async () => {
          const saved = await savedOffsets(f);
          return [...ends].every(([p, end]) => saved.get(p) === end);
        },
        {
          timeoutMs: 90_000,
          description: `the last speed child to catch up; output: ${output.join('').slice(-2000)}`,
        },
      );
      const store = await openStore(f.config);
      try {
        await expectViewMatches(store, records, recount, f.config);
      } finally {
        await store.close();
      }
    } finally {
      killsDone();
      child.kill('SIGTERM');
      await new Promise((resolve) => {
        if (child.exitCode !== null) resolve(undefined);
        else child.once('exit', resolve);
      });
      await producer.catch(() => undefined);
    }
  });
});
