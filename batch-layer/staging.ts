import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Removes the staging folders in `dir` left behind by processes that no longer run (a process
 * killed with SIGKILL never cleans up its own). `pidOf` reads the owner's pid from a folder name;
 * folders without one, or of a live process, are kept.
 */
export async function sweepDeadStaging(
  dir: string,
  pidOf: (name: string) => number | undefined,
): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const pid = pidOf(name);
    if (pid === undefined || pid === process.pid || isAlive(pid)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
