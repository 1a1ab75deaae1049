import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { str } from './read.ts';
import type { LayerRun } from './types.ts';

export type LayerName = 'speed' | 'batch' | 'api';

/** Arguments of each layer benchmark at the small `--quick` scale (the full scale is their default). */
export const QUICK_ARGS: Record<LayerName, string[]> = {
  speed: ['--clicks=40000', '--ads=20000', '--partitions=12', '--replay-clicks=20000'],
  batch: ['--clicks=150000', '--ads=20000', '--writer-rows=40000', '--rounds=1'],
  api: ['--clicks=8000', '--ads=2000', '--duration=4'],
};

/** A benchmark with its own report file; the soak is only ever read from disk here. */
export type ReportName = LayerName | 'soak';

const reportFiles = (root: string, name: ReportName) =>
  ['json', 'md'].map((ext) => join(root, 'reports', `bench-${name}.${ext}`));

/** The layer's report as it is on disk (from whichever run wrote it last). */
export function readLayerReport(root: string, name: ReportName): LayerRun {
  const [json] = reportFiles(root, name);
  if (!existsSync(json!)) return { ranThisRun: false, ok: false, report: null, error: 'no report on disk' };
  try {
    const report = JSON.parse(readFileSync(json!, 'utf8')) as Record<string, unknown>;
    return { ranThisRun: false, ok: true, report, measuredAt: str(report, 'measuredAt', 'at') };
  } catch (error) {
    return { ranThisRun: false, ok: false, report: null, error: `unreadable report: ${String(error)}` };
  }
}

/**
 * Runs `npm run bench:<name>` as a child process, streaming its progress lines, and reads the
 * JSON report it writes. `keepOnDisk: false` (quick runs) puts the previous layer report files
 * back as soon as the child has exited, so a small check run does not replace the figures of
 * record.
 */
export async function runLayer(
  root: string,
  name: LayerName,
  args: string[],
  progress: (line: string) => void,
  keepOnDisk: boolean,
): Promise<LayerRun> {
  const files = reportFiles(root, name);
  const before = files.map((f) => (existsSync(f) ? readFileSync(f) : undefined));
  const started = Date.now();
  const tail: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('npm', ['run', '--silent', `bench:${name}`, '--', ...args], {
      cwd: root,
      env: { ...process.env, NPM_CONFIG_UPDATE_NOTIFIER: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (line: string) => {
      tail.push(line);
      if (tail.length > 30) tail.shift();
    };
    createInterface({ input: child.stderr }).on('line', (line) => {
      keep(line);
      // Stack frames stay in the failure message's tail; they drown the progress lines.
      if (!line.includes('npm warn') && !/^\s+at /.test(line)) progress(line);
    });
    // stdout carries the JSON report and the seeding lines; only kept for a failure message.
    createInterface({ input: child.stdout }).on('line', keep);
    child.once('error', () => resolve(null));
    child.once('exit', (c) => resolve(c));
  });
  const seconds = (Date.now() - started) / 1000;
  const run = readLayerReport(root, name);
  const measured = run.measuredAt === undefined ? Number.NaN : Date.parse(run.measuredAt);
  const fresh = run.report !== null && (Number.isNaN(measured) || measured >= started - 1000);
  const result: LayerRun =
    code === 0 && fresh
      ? { ...run, ranThisRun: true, ok: true, seconds }
      : {
          ranThisRun: true,
          ok: false,
          seconds,
          report: null,
          error: `bench:${name} exited with ${code}${fresh ? '' : ', no fresh report'}: ${tail.slice(-5).join(' / ').slice(-600)}`,
        };
  if (!keepOnDisk) {
    files.forEach((file, i) => {
      const previous = before[i];
      if (previous !== undefined) writeFileSync(file, previous);
    });
  }
  return result;
}
