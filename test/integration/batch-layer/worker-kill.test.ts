import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchRuntime } from '../../../batch-layer/runtime.ts';
import { waitFor } from '../../../shared/async/wait-for.ts';
import {
  archiveAll,
  type BatchFixture,
  batchFixture,
  batchRuntime,
  exited,
  expectBatchViewMatches,
  hoursOf,
  openBatchView,
  recountOf,
  startCli,
  testStream,
} from './batch-fixture.ts';

describe('batch worker killed with SIGKILL during a job', () => {
  let f: BatchFixture;
  let runtime: BatchRuntime;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    f = await batchFixture('workerkill');
    runtime = batchRuntime(f);
    await runtime.start();
  });
  afterAll(async () => {
    for (const child of children) {
      child.kill('SIGTERM');
      await exited(child);
    }
    await runtime?.close();
    await f?.cleanup();
  });

  it('has the job retried by another worker, with an exact result', async () => {
    const records = testStream(101, 12_000);
    const recount = recountOf(records);
    const hours = await archiveAll(f, runtime, records);
    expect(hours).toEqual(hoursOf(recount));

    const output: string[] = [];
    const args = [
      'batch',
      '--queues',
      'replay',
      '--lake-root',
      f.lakeRoot,
      '--lock-ms',
      '4000',
      '--metrics-port',
      '0',
    ];
    children.push(startCli(f, args, output), startCli(f, args, output));
    const replayQueue = runtime.queues.queue('replay');
    await waitFor(async () => (await replayQueue.getWorkersCount()) >= 2, {
      timeoutMs: 60_000,
      description: `two batch workers to connect; output: ${output.join('').slice(-2000)}`,
    });

    const ids = await runtime.queues.enqueueReplay(hours, 'kill');
    let victim: { id: string; name: string } | undefined;
    await waitFor(
      async () => {
        const active = (await runtime.queues.jobStates('replay', ids)).find(
          (s) => s.state === 'active' && s.processedBy !== undefined,
        );
        if (active !== undefined) victim = { id: active.id, name: active.processedBy! };
        return active !== undefined;
      },
      { timeoutMs: 60_000, intervalMs: 20, description: 'a worker to take a replay job' },
    );
    const names = children.map((c) => `${hostname()}:${c.pid}`);
    const killed = children[names.indexOf(victim!.name)]!;
    const survivor = names.find((n) => n !== victim!.name)!;
    killed.kill('SIGKILL');
    await exited(killed);
    const [atKill] = await runtime.queues.jobStates('replay', [victim!.id]);
    expect(atKill!.state, 'the kill must land while the job runs').toBe('active');

    const t0 = Date.now();
    await waitFor(
      async () => (await runtime.queues.jobStates('replay', ids)).every((s) => s.state === 'completed'),
      {
        timeoutMs: 90_000,
        description: `every replay job to complete; output: ${output.join('').slice(-2000)}`,
      },
    );
    const [retried] = await runtime.queues.jobStates('replay', [victim!.id]);
    expect(retried!.processedBy).toBe(survivor);

    const view = await openBatchView(f);
    try {
      const checked = await expectBatchViewMatches(view, records, recount, f.config);
      console.log(
        `worker kill -9: job ${victim!.id} taken over by the other worker, all ${ids.length} jobs done ${Date.now() - t0} ms after the kill; ` +
          `${checked.cells} cells and ${checked.topLists} top lists equal the recount`,
      );
    } finally {
      await view.close();
    }
  });
});
