/**
 * Explanation lines that depend only on a rule and a few fixed inputs (a hospital level, a category)
 * are the same for every settlement: each is written once and kept with its rule.
 */
const texts = new WeakMap<object, Map<string, string>>();

export function once(owner: object, key: string, write: () => string): string {
  let byKey = texts.get(owner);
  if (!byKey) texts.set(owner, (byKey = new Map()));
  let text = byKey.get(key);
  if (text === undefined) byKey.set(key, (text = write()));
  return text;
}
