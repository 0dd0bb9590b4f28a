/** Top-N selection with the one tie-break rule every dashboard list follows. */

/** Code-point order of UTF-16 strings, which is SQLite's BINARY order of the same text in UTF-8. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, so they sort after 0xE000-0xFFFF.
    const surrogateX = x >= 0xd800 && x <= 0xdfff;
    const surrogateY = y >= 0xd800 && y <= 0xdfff;
    if (surrogateX !== surrogateY) return surrogateX ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * The `limit` entries with the largest `value`, ties broken by `name` in code-point order.
 * Deterministic: the same entries in any input order give the same output.
 */
export function topByValue<T extends { name: string }>(entries: Iterable<T>, value: (entry: T) => bigint | number, limit: number): T[] {
  return [...entries]
    .sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (va !== vb) return va > vb ? -1 : 1;
      return compareCodePoints(a.name, b.name);
    })
    .slice(0, limit);
}
