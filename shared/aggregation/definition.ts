import type { ClickEvent } from '../click-event/types.ts';
import type { AdclickConfig } from '../config/types.ts';
import { AdclickError, ErrorCodes } from '../errors/errors.ts';

/**
 * THE aggregation both layers compute — the one definition that keeps the speed and batch views
 * comparable. A cell is (ad_id, slice, minute) → number of distinct click_ids whose event time
 * falls in that minute. Slices are the star schema's filters: `all`, plus `<dimension>=<value>`
 * for each configured dimension. Top-N lists rank ads by the sum of their cells over the
 * `windowMinutes` whole minutes ending at (excluding) `endMinute`, most clicks first, ties by
 * ad_id ascending, ads with zero clicks never listed.
 */
export interface AggregationDefinition {
  dimensions: readonly Dimension[];
  windowsMinutes: readonly number[];
  topN: number;
}

/** Dimensions a slice can be cut by; each maps to a field of the normalised event. */
export const DIMENSIONS = { country: 'country' } as const satisfies Record<string, keyof ClickEvent>;
export type Dimension = keyof typeof DIMENSIONS;

/** The slice holding every click. */
export const ALL_SLICE = 'all';

export function definitionFrom(config: AdclickConfig): AggregationDefinition {
  return {
    dimensions: config.aggregation.dimensions as Dimension[],
    windowsMinutes: config.aggregation.windowsMinutes,
    topN: config.aggregation.topN,
  };
}

/** The slices one click counts in: `all` and one per dimension. */
export function slicesOf(event: ClickEvent, definition: AggregationDefinition): string[] {
  const slices = [ALL_SLICE];
  for (const d of definition.dimensions) slices.push(`${d}=${event[DIMENSIONS[d]]}`);
  return slices;
}

/**
 * The same slices as SQL (DuckDB dialect) over a relation with the raw lake's columns: one
 * `slice` string per row when the relation is unnested with `UNNEST(<expr>)`. Kept beside
 * `slicesOf` on purpose; a unit test checks both give the same slices.
 */
export function slicesSql(definition: AggregationDefinition): string {
  const parts = [`'${ALL_SLICE}'`, ...definition.dimensions.map((d) => `'${d}=' || ${DIMENSIONS[d]}`)];
  return `[${parts.join(', ')}]`;
}

/**
 * The same slices as a `GROUP BY GROUPING SETS` (DuckDB dialect): one grouping set per slice over
 * `keys` (e.g. `ad_id, minute`), and the `slice` expression naming the set a result row belongs to.
 * Grouping sets let one aggregation produce every slice without unnesting each row first. Kept
 * beside `slicesOf` and `slicesSql` on purpose; they must name the same slices.
 */
export function sliceGroupingSql(
  definition: AggregationDefinition,
  keys: readonly string[],
): { groupBy: string; slice: string } {
  const dims = [...new Set(definition.dimensions)];
  const sets = [[...keys], ...dims.map((d) => [...keys, DIMENSIONS[d]])];
  const cases = dims.map((d) => `WHEN grouping(${DIMENSIONS[d]}) = 0 THEN '${d}=' || ${DIMENSIONS[d]}`);
  return {
    groupBy: `GROUPING SETS (${sets.map((set) => `(${set.join(', ')})`).join(', ')})`,
    slice: cases.length === 0 ? `'${ALL_SLICE}'` : `CASE ${cases.join(' ')} ELSE '${ALL_SLICE}' END`,
  };
}

/**
 * Turns an API filter (`country:US`, SPEC A3) into a slice key; `undefined`/empty → `all`.
 *
 * @throws AdclickError `INVALID_INPUT` naming `filter` and the dimensions that exist.
 */
export function sliceOfFilter(filter: string | undefined, definition: AggregationDefinition): string {
  if (filter === undefined || filter.trim() === '') return ALL_SLICE;
  const match = /^([a-z_]+):(.+)$/.exec(filter.trim());
  const dims = definition.dimensions.join(', ');
  if (match === null) {
    throw new AdclickError(
      ErrorCodes.INVALID_INPUT,
      `filter must look like <dimension>:<value> (dimensions: ${dims})`,
      {
        details: { parameter: 'filter' },
      },
    );
  }
  const [, dimension, value] = match as unknown as [string, string, string];
  if (!definition.dimensions.includes(dimension as Dimension)) {
    throw new AdclickError(
      ErrorCodes.INVALID_INPUT,
      `filter dimension "${dimension}" is not one of: ${dims}`,
      {
        details: { parameter: 'filter' },
      },
    );
  }
  if (dimension === 'country' && !/^[A-Za-z]{2}$/.test(value)) {
    throw new AdclickError(
      ErrorCodes.INVALID_INPUT,
      'filter country must be an ISO 3166-1 alpha-2 code such as US',
      {
        details: { parameter: 'filter' },
      },
    );
  }
  return `${dimension}=${dimension === 'country' ? value.toUpperCase() : value}`;
}

/** The API's `filter` value for a slice key (`null` for `all`). */
export function filterOfSlice(slice: string): string | null {
  return slice === ALL_SLICE ? null : slice.replace('=', ':');
}
