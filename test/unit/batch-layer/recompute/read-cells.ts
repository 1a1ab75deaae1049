import type { HourCells, MinuteCount } from '../../../../shared/aggregate-store/types.ts';

/** Every cell of an engine's lazily read hour, in one array. */
export async function readAllCells(cells: HourCells): Promise<MinuteCount[]> {
  const out: MinuteCount[] = [];
  for await (const batch of cells.batches(1000)) out.push(...batch);
  return out;
}
