/** A few DOM helpers: elements by id (typed), and a small element builder that never parses HTML. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

type Child = Node | string | null | undefined | false;
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(child);
  return element;
}

/** Today's date in China (+08:00), YYYY-MM-DD. */
export const chinaToday = (): string => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);

/** A money string of the API ("1234.50") as integer fen, for proportions only; never for arithmetic shown as money. */
export function fenOf(text: string): number {
  const match = /^(\d+)\.(\d{2})$/.exec(text);
  return match ? Number.parseInt(match[1]!, 10) * 100 + Number.parseInt(match[2]!, 10) : 0;
}

/** Integer fen as "1234.50". */
export function yuan(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}
