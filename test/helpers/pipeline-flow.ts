/**
 * A stream flowing into a pipeline in the background: small chunks, alternately through the
 * collector and straight into Kafka, with a pause between chunks. Its last part waits for
 * `release()`, so a fault injected before that lands mid-stream however slow the machine is.
 */
import { sleep } from '../../shared/async/wait-for.ts';
import type { GeneratedRecord } from '../../shared/generator/types.ts';
import type { Pipeline } from './pipeline.ts';

export interface Flow {
  /** Records handed over so far (acknowledged by Kafka or the collector). */
  sent(): number;
  /** Resolves once every record was handed over. */
  done: Promise<void>;
  /** Lets the held-back last part of the stream go. */
  release(): void;
}

export function flow(
  p: Pipeline,
  records: readonly GeneratedRecord[],
  options: { chunk?: number; pauseMs?: number; holdFrom?: number } = {},
): Flow {
  const chunk = options.chunk ?? 100;
  const pauseMs = options.pauseMs ?? 100;
  const held = Math.floor((records.length * (options.holdFrom ?? 0.7)) / chunk) * chunk;
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let sent = 0;
  const done = (async () => {
    for (let i = 0, n = 0; i < records.length; i += chunk, n++) {
      if (i === held) await released;
      const part = records.slice(i, i + chunk);
      if (n % 2 === 0) await p.post(part, chunk);
      else await p.produce(part, chunk);
      sent = i + part.length;
      await sleep(pauseMs);
    }
  })();
  return { sent: () => sent, done, release };
}
