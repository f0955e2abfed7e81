/**
 * What a kafkajs error says, read through its wrappers: kafkajs wraps the broker's answer in retry
 * errors (`cause`) and, for a request that went to several brokers, in an aggregate (`errors`). Callers
 * branch on the broker's error codes (`type`), never on message text.
 */

/** How deep the wrappers are followed: kafkajs nests two or three levels; the bound keeps a cycle harmless. */
const MAX_DEPTH = 8;

/** Whether the error, or one it wraps, carries one of the broker's error codes. */
export function hasKafkaErrorType(error: unknown, types: ReadonlySet<string>): boolean {
  const seen = new Set<unknown>();
  const visit = (current: unknown, depth: number): boolean => {
    if (depth > MAX_DEPTH || typeof current !== 'object' || current === null || seen.has(current)) return false;
    seen.add(current);
    if ('type' in current && typeof current.type === 'string' && types.has(current.type)) return true;
    if ('cause' in current && visit(current.cause, depth + 1)) return true;
    return 'errors' in current && Array.isArray(current.errors) && current.errors.some((inner) => visit(inner, depth + 1));
  };
  return visit(error, 0);
}
