/** The nonces of signed insurer calls: each taken once; those too old to pass the skew check are pruned as calls arrive. */
import { describe, expect, it } from 'vitest';
import { NonceLedger } from '../../../adapters/insurer/signed-calls.js';
import { MemoryStore } from '../../../gateway/ledger/documents/memory.js';

const CODE = 'chinalife-weihai';
const WINDOW_SECONDS = 60;

describe('nonce ledger', () => {
  it('takes a nonce once per insurer', async () => {
    const nonces = new NonceLedger(new MemoryStore());
    expect(await nonces.claim(CODE, 'nonce-000000000001', 1_000, 1_000, WINDOW_SECONDS)).toBe(true);
    expect(await nonces.claim(CODE, 'nonce-000000000001', 1_000, 1_005, WINDOW_SECONDS)).toBe(false);
    expect(await nonces.claim('nantong-dibubao', 'nonce-000000000001', 1_000, 1_005, WINDOW_SECONDS)).toBe(true);
  });

  it('forgets nonces whose timestamps are two windows old, and keeps the recent ones', async () => {
    const store = new MemoryStore();
    const nonces = new NonceLedger(store);
    await nonces.claim(CODE, 'nonce-old-00000001', 1_000, 1_000, WINDOW_SECONDS);
    await nonces.claim(CODE, 'nonce-recent-00001', 1_100, 1_100, WINDOW_SECONDS);
    await nonces.claim(CODE, 'nonce-now-00000001', 1_200, 1_200, WINDOW_SECONDS);
    expect(await store.getMany(`insurer.${CODE}.nonces`, ['nonce-old-00000001', 'nonce-recent-00001'])).toEqual([null, expect.any(String)]);
  });
});
