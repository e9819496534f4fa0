/**
 * Runs `task` over `items` with at most `limit` in flight and returns the settled results in input order.
 * Settling (not failing fast) matters to the stores: when one group is throttled the others still finish,
 * and the caller can name exactly which event ids did not complete.
 *
 * @example const results = await mapSettled(groups, 8, (group) => writeGroup(group));
 */
export async function mapSettled<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await task(items[index] as T, index) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  }
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker());
  await Promise.all(workers);
  return results;
}
