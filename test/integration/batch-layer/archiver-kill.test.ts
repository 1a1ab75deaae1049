import type { ChildProcess } from 'node:child_process';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchRuntime } from '../../../batch-layer/runtime.ts';
import { waitFor } from '../../../shared/async/wait-for.ts';
import { createKafka, kafkaOptionsFrom } from '../../../shared/kafka/kafka.ts';
import { silentLogger } from '../../../shared/logger/logger.ts';
import {
  type BatchFixture,
  batchFixture,
  batchRuntime,
  exited,
  expectBatchViewMatches,
  hoursOf,
  malformedCount,
  openBatchView,
  PARTITIONS,
  produce,
  rawObjects,
  recountOf,
  startCli,
  testStream,
} from './batch-fixture.ts';

describe('archiver killed with SIGKILL mid-stream', () => {
  let f: BatchFixture;
  let runtime: BatchRuntime;
  let admin: Admin;

  beforeAll(async () => {
    f = await batchFixture('archkill');
    runtime = batchRuntime(f);
    await runtime.start();
    admin = createKafka(kafkaOptionsFrom(f.config, { clientId: `test-${f.id}` }), silentLogger()).admin();
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.disconnect();
    await runtime?.close();
    await f?.cleanup();
  });

  /** Committed next offsets of the archiver's group, per partition. */
  async function committed(): Promise<Map<number, number>> {
    const [topic] = await admin.fetchOffsets({ groupId: f.groupId, topics: [f.topic] });
    return new Map((topic?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  }

  function startArchiver(output: string[]): ChildProcess {
    return startCli(
      f,
      [
        'archive',
        '--group',
        f.groupId,
        '--lake-root',
        f.lakeRoot,
        '--max-rows',
        '200',
        '--max-age-ms',
        '300',
        '--session-timeout',
        '6000',
        '--metrics-port',
        '0',
      ],
      output,
    );
  }

  it('loses nothing and doubles nothing after two kill -9 and restarts', async () => {
    const records = testStream(97, 8000);
    const recount = recountOf(records);
    const output: string[] = [];
    let child = startArchiver(output);
    // The stream comes in three parts: each of the first two is followed by a kill as soon as the
    // child has uploaded something of it, so every kill lands while that child is mid-stream.
    const parts = [0, 0.4, 0.8, 1].map((x) => Math.floor(records.length * x));
    try {
      for (let kill = 0; kill < 2; kill++) {
        const before = (await rawObjects(f)).length;
        await produce(f, records.slice(parts[kill], parts[kill + 1]), 200);
        await waitFor(async () => (await rawObjects(f)).length > before, {
          timeoutMs: 60_000,
          // Polled often so the kill tends to land between an upload and its commit.
          intervalMs: 10,
          description: `archiver child ${kill + 1} to upload an object; output: ${output.join('').slice(-2000)}`,
        });
        child.kill('SIGKILL');
        await exited(child);
        child = startArchiver(output);
      }
      await produce(f, records.slice(parts[2]), 200);
      const ends = new Map<number, number>();
      for (let p = 0; p < PARTITIONS; p++) ends.set(p, records.filter((r) => r.partition === p).length);
      await waitFor(
        async () => {
          const c = await committed();
          return [...ends].every(([p, end]) => c.get(p) === end);
        },
        {
          timeoutMs: 90_000,
          description: `the last archiver to commit everything; ${output.join('').slice(-2000)}`,
        },
      );
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }

    const hours = await runtime.ledger.dirtyHours(Number.MAX_SAFE_INTEGER);
    expect(hours).toEqual(hoursOf(recount));
    const view = await openBatchView(f);
    try {
      const jobs = runtime.jobs(view);
      let clicks = 0;
      let rawRows = 0;
      for (const hour of hours) {
        const r = await jobs.recompute(hour);
        clicks += r.clicks;
        rawRows += r.rawRows;
      }
      expect(clicks).toBe(recount.total);
      await expectBatchViewMatches(view, records, recount, f.config);
      console.log(
        `archiver kill -9 ×2: ${records.length} records, ${(await rawObjects(f)).length} raw objects, ` +
          `${rawRows} raw rows in the lake for ${records.length - malformedCount(records)} valid records ` +
          `(${rawRows - (records.length - malformedCount(records))} archived twice), ${clicks} distinct clicks = recount`,
      );
    } finally {
      await view.close();
    }
  });
});
