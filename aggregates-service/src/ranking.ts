/** Top-N selection with the one tie-break rule every dashboard list follows. */
import { compareCodePoints } from '@aggregates/common/collation';

/**
 * The `limit` entries with the largest `value`, ties broken by `name` in code-point order.
 * Deterministic: the same entries in any input order give the same output.
 */
export function topByValue<T extends { name: string }>(
  entries: Iterable<T>,
  value: (entry: T) => number,
  limit: number,
): T[] {
  return [...entries]
    .sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (va !== vb) return va > vb ? -1 : 1;
      return compareCodePoints(a.name, b.name);
    })
    .slice(0, limit);
}
