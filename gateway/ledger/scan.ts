/** Keys by pattern over the whole data set: one SCAN per master (a Cluster's keys are spread over them), a page at a time. */
import { Cluster, type Redis } from 'ioredis';

const SCAN_COUNT = 1000;

/** The keys matching `pattern` on every master, page by page (a key present throughout is found at least once). */
export async function* scanKeys(client: Redis | Cluster, pattern: string): AsyncGenerator<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT);
      if (keys.length > 0) yield keys;
      cursor = next;
    } while (cursor !== '0');
  }
}
