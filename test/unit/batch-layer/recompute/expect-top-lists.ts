import { expect } from 'vitest';
import type { TopList } from '../../../../shared/aggregate-store/types.ts';
import type { AggregationDefinition } from '../../../../shared/aggregation/definition.ts';
import { HOUR_MS, MINUTE_MS } from '../../../../shared/aggregation/time.ts';
import type { Recount } from '../../../helpers/recount.ts';

/**
 * Checks every top list of `hour` (each window, end minute and slice) against the recount, and
 * that the engine wrote no list the recount does not have. Calls `onList` with each expected list.
 */
export function expectTopListsOfRecount(
  topLists: readonly TopList[],
  recount: Recount,
  slices: readonly string[],
  hour: number,
  definition: AggregationDefinition,
  onList: (
    expected: Array<{ adId: string; count: number }>,
    windowMinutes: number,
    slice: string,
    end: number,
  ) => void = () => undefined,
): void {
  let lists = 0;
  for (const windowMinutes of definition.windowsMinutes) {
    for (let end = hour + MINUTE_MS; end <= hour + HOUR_MS; end += MINUTE_MS) {
      for (const slice of slices) {
        const expected = recount.top(windowMinutes, slice, end, definition.topN);
        const got = topLists.find(
          (l) => l.windowMinutes === windowMinutes && l.endMinute === end && l.slice === slice,
        );
        expect(got?.ads ?? [], `${windowMinutes}m ending ${end} ${slice}`).toEqual(expected);
        if (expected.length > 0) lists++;
        onList(expected, windowMinutes, slice, end);
      }
    }
  }
  expect(topLists).toHaveLength(lists);
}
