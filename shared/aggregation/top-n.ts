/** One ranked entry of a top-N list. */
export interface AdCount {
  adId: string;
  count: number;
}

/** The ranking order of every top-N list: most clicks first, ties by ad_id ascending. */
export function compareAdCounts(a: AdCount, b: AdCount): number {
  if (a.count !== b.count) return b.count - a.count;
  return a.adId < b.adId ? -1 : a.adId > b.adId ? 1 : 0;
}

/**
 * The `n` best of `entries` by `compareAdCounts`, skipping zero counts. Keeps a bounded binary
 * heap of size n (worst entry at the root), so ranking 2 million ads for a top-100 costs
 * O(ads × log n) time and O(n) memory rather than a full sort.
 */
export function topN(entries: Iterable<AdCount>, n: number): AdCount[] {
  if (n <= 0) return [];
  const heap: AdCount[] = [];
  // In the heap, "worse ranks higher": the root is the entry that would be evicted first.
  const worse = (a: AdCount, b: AdCount) => compareAdCounts(a, b) > 0;
  for (const entry of entries) {
    if (entry.count <= 0) continue;
    if (heap.length < n) {
      heap.push(entry);
      siftUp(heap, heap.length - 1, worse);
    } else if (worse(heap[0]!, entry)) {
      heap[0] = entry;
      siftDown(heap, 0, worse);
    }
  }
  return heap.sort(compareAdCounts);
}

/**
 * `topN` of a Map of ad → count, without an entry object per ad: an ad is only materialised when
 * it beats the heap's worst entry, so ranking a window of millions of ads costs one Map walk.
 */
export function topNOfCounts(counts: ReadonlyMap<string, number>, n: number): AdCount[] {
  if (n <= 0) return [];
  const heap: AdCount[] = [];
  const worse = (a: AdCount, b: AdCount) => compareAdCounts(a, b) > 0;
  for (const [adId, count] of counts) {
    if (count <= 0) continue;
    if (heap.length < n) {
      heap.push({ adId, count });
      siftUp(heap, heap.length - 1, worse);
      continue;
    }
    const root = heap[0]!;
    if (count < root.count || (count === root.count && adId > root.adId)) continue;
    heap[0] = { adId, count };
    siftDown(heap, 0, worse);
  }
  return heap.sort(compareAdCounts);
}

/**
 * `topN` of counts held in an array indexed by ad (`idOf` names an index): one pass over the
 * array, an ad id only looked up when its count can enter the heap.
 */
export function topNOfIndexed(
  counts: ArrayLike<number>,
  idOf: (index: number) => string,
  n: number,
): AdCount[] {
  if (n <= 0) return [];
  const heap: AdCount[] = [];
  const worse = (a: AdCount, b: AdCount) => compareAdCounts(a, b) > 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!;
    if (count <= 0) continue;
    if (heap.length < n) {
      heap.push({ adId: idOf(i), count });
      siftUp(heap, heap.length - 1, worse);
      continue;
    }
    const root = heap[0]!;
    if (count < root.count) continue;
    const adId = idOf(i);
    if (count === root.count && adId > root.adId) continue;
    heap[0] = { adId, count };
    siftDown(heap, 0, worse);
  }
  return heap.sort(compareAdCounts);
}

/** Sums counts per ad over several lists or maps (e.g. minutes of a window, or two views). */
export function sumByAd(parts: Iterable<Iterable<AdCount>>): Map<string, number> {
  const totals = new Map<string, number>();
  for (const part of parts) {
    for (const { adId, count } of part) totals.set(adId, (totals.get(adId) ?? 0) + count);
  }
  return totals;
}

/** Adapts a Map of ad → count to ranking input. */
export function* entriesOf(counts: ReadonlyMap<string, number>): Iterable<AdCount> {
  for (const [adId, count] of counts) yield { adId, count };
}

function siftUp(heap: AdCount[], i: number, worse: (a: AdCount, b: AdCount) => boolean): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!worse(heap[i]!, heap[parent]!)) return;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function siftDown(heap: AdCount[], i: number, worse: (a: AdCount, b: AdCount) => boolean): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let top = i;
    if (l < heap.length && worse(heap[l]!, heap[top]!)) top = l;
    if (r < heap.length && worse(heap[r]!, heap[top]!)) top = r;
    if (top === i) return;
    [heap[i], heap[top]] = [heap[top]!, heap[i]!];
    i = top;
  }
}
