/**
 * kill -9 of each long-running process while a stream flows, each restarted: the speed layer, the
 * archiver, the API, and a batch worker in the middle of a replay job. After each, the API equals
 * the recount of every valid click sent so far and the reconciliation explains every difference.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, hourOf } from '../../shared/aggregation/time.ts';
import { sleep, waitFor } from '../../shared/async/wait-for.ts';
import type { GeneratedRecord } from '../../shared/generator/types.ts';
import { PIPELINE_PARTITIONS, type Pipeline, type Role, startPipeline } from '../helpers/pipeline.ts';
import { expectApiEquals, expectExplained, reconcile, replay, scopeOf } from '../helpers/pipeline-checks.ts';
import { flow } from '../helpers/pipeline-flow.ts';
import { recountAll } from '../helpers/recount.ts';
import { recountInputs, testStream } from '../helpers/test-stream.ts';

const SEGMENT = 1500;
const KILLED: Role[] = ['speed', 'archiver', 'api'];

describe('kill -9 of each process mid-stream', () => {
  let p: Pipeline;
  const startMs = hourOf(Date.now()) - 3 * HOUR_MS + 10 * 60_000;
  const records = testStream({ seed: 71, clicks: SEGMENT * 4, startMs, partitions: PIPELINE_PARTITIONS });
  let sent = 0;

  /** Replay, then exactness of everything sent so far and a fully explained reconciliation. */
  async function expectExact(what: string): Promise<void> {
    const so = records.slice(0, sent);
    const all = recountAll(recountInputs(so));
    await p.waitCaughtUp();
    await replay(p, all);
    await expectApiEquals(p, all, scopeOf(so, all, 3), `${what}: the API to equal the recount`, 120_000);
    expectExplained(await reconcile(p, all), all);
    expect(p.unexpectedExits(), 'no other process died').toEqual([]);
  }

  /** Sends the next segment; `fault` runs once a third of it flowed. */
  async function segment(fault: () => Promise<void>): Promise<void> {
    const part: GeneratedRecord[] = records.slice(sent, sent + Math.ceil(records.length / 4));
    const f = flow(p, part);
    await waitFor(() => f.sent() >= part.length / 3, {
      timeoutMs: 120_000,
      description: 'a third of the segment',
    });
    try {
      await fault();
    } finally {
      f.release();
      await f.done;
      sent += part.length;
    }
  }

  beforeAll(async () => {
    p = await startPipeline('kills');
  });
  afterAll(async () => {
    await p?.cleanup();
  });

  for (const role of KILLED) {
    it(`${role}: killed, restarted, exact`, async () => {
      await segment(async () => {
        await sleep(Math.floor(Math.random() * 1000));
        await p.kill(role);
        await p.start(role);
      });
      await expectExact(`after kill -9 of ${role}`);
    });
  }

  it('batch worker: killed during a replay job, restarted, exact', async () => {
    // The stream is complete before the replay starts, so the replay that suffers the kill is
    // the one whose result is checked.
    await segment(async () => undefined);
    const so = records.slice(0, sent);
    const all = recountAll(recountInputs(so));
    await p.waitCaughtUp();
    const replaying = replay(p, all);
    const replayQueue = p.runtime.queues.queue('replay');
    const victim = await waitFor(
      async () => (await replayQueue.getActive()).find((j) => j.processedBy !== undefined)?.processedBy,
      { timeoutMs: 120_000, intervalMs: 20, description: 'a batch worker to take a replay job' },
    );
    const role = (['batch-a', 'batch-b'] as const).find((r) => victim.endsWith(`:${p.child(r)?.pid}`));
    expect(role, `worker ${victim} is one of the pipeline's`).toBeDefined();
    await p.kill(role!);
    await p.start(role!);
    await replaying;
    await expectApiEquals(p, all, scopeOf(so, all, 3), 'after kill -9 of a batch worker', 120_000);
    expectExplained(await reconcile(p, all), all);
    expect(p.unexpectedExits(), 'no other process died').toEqual([]);
  });
});
