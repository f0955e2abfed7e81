/**
 * The cursors of person searches are bounded: usable for CURSOR_TTL_MS by the client that opened them, then
 * refused, and removed by later searches (each new search deletes expired ones), so the store does not grow
 * with every search ever made. On the memory ledger and store, with a clock the test moves.
 */
import { describe, expect, it } from 'vitest';
import { explanationOfBenefitOf } from '../../../adapters/fhir/adjudication.js';
import { CURSOR_TTL_MS, CURSORS_COLLECTION, SettlementSearch } from '../../../adapters/fhir/search.js';
import { NotFound } from '../../../gateway/errors.js';
import { MemoryLedger } from '../../../gateway/ledger/memory.js';
import { MemoryStore } from '../../../gateway/ledger/documents/memory.js';
import type { Client } from '../../../schemas/clients.js';

const desk: Client = { token: 'desk-token-0123456789abcdef', name: 'desk', roles: ['desk'], hospitalIds: ['H99000000001'] };
const other: Client = { ...desk, token: 'other-token-0123456789abcdef', name: 'other' };
const call = (client: Client, parameters: Record<string, string>, method: 'GET' | 'POST' = 'GET') =>
  ({ type: 'ExplanationOfBenefit' as const, method, parameters, client, baseUrl: 'http://gw/fhir' });
const cursorOf = (bundle: { link?: Array<{ url: string }> }) => new URL(bundle.link![0]!.url).searchParams.get('_cursor')!;

describe('person search cursors', () => {
  it('serve their client for an hour, then are refused and removed by a later search', async () => {
    let now = 1_800_000_000_000;
    const store = new MemoryStore();
    const search = new SettlementSearch({ ledger: new MemoryLedger(), store, clock: () => now });
    const opened = await search.search(call(desk, { 'patient:identifier': '990100198001011234' }, 'POST'), explanationOfBenefitOf);
    const cursor = cursorOf(opened);
    expect(cursor).toMatch(/^[0-9a-f]{32}$/);
    expect(opened.link!.map((l) => l.url).join(' ')).not.toContain('990100198001011234');

    expect((await search.search(call(desk, { _cursor: cursor }), explanationOfBenefitOf)).total).toBe(0);
    await expect(search.search(call(other, { _cursor: cursor }), explanationOfBenefitOf)).rejects.toBeInstanceOf(NotFound);

    now += CURSOR_TTL_MS + 1;
    await expect(search.search(call(desk, { _cursor: cursor }), explanationOfBenefitOf)).rejects.toBeInstanceOf(NotFound);
    expect(await store.get(CURSORS_COLLECTION, cursor)).not.toBeNull();
    const next = cursorOf(await search.search(call(desk, { 'patient:identifier': '990100198001015678' }, 'POST'), explanationOfBenefitOf));
    expect(await store.get(CURSORS_COLLECTION, cursor)).toBeNull();
    expect(await store.get(CURSORS_COLLECTION, next)).not.toBeNull();
  });
});
