/**
 * `{"key":[item,...],...}` from items already ordered by key: consecutive items with the same key form one
 * member, written in the order they come. A plain object would not keep that order (JavaScript puts
 * integer-like keys such as "42" first) and would lose a key named `__proto__`.
 */
export function jsonGroups<T>(items: T[], keyOf: (item: T) => string): string {
  let current: string | undefined;
  let text = '{';
  for (const item of items) {
    const key = keyOf(item);
    if (key !== current) {
      text += `${current === undefined ? '' : '],'}${JSON.stringify(key)}:[`;
      current = key;
    } else {
      text += ',';
    }
    text += JSON.stringify(item);
  }
  return `${text}${current === undefined ? '' : ']'}}`;
}
