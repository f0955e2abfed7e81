/**
 * Hardening (issue 8): input at the edges of the contract, over real sockets against the whole gateway.
 * Amounts sent as JSON numbers are judged on their source text; nesting is bounded; bad percent-escapes
 * are the caller's mistake; a query string never reaches the access log.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';
import { startGateway, type Gateway } from '../../gateway/main.js';
import { asProblem, asSplit, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { requestBody } from '../support/requests.js';

let seq = 0;
const nextId = () => `EDGE${Date.now()}${++seq}`;
const person = () => `99010019700101${String(++seq).padStart(4, '0')}`;
/** A body whose first item's amount is written as the given raw JSON literal. */
const rawBodyWithAmount = (literal: string, field: 'amount' | 'selfPayRatio' = 'amount') => {
  const b = requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A }, patient: { id: person() },
    items: [{ code: 'B1', name: '乙类药', amount: '100.00', class: 'B', selfPayRatio: '0.10' }] });
  return JSON.stringify(b).replace(field === 'amount' ? '"amount":"100.00"' : '"selfPayRatio":"0.10"', `"${field}":${literal}`);
};

describe('input at the edges', () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway({ RELAY_ENABLED: 'false' }); });
  afterAll(async () => { await gw?.stop(); });
  const settleRaw = (raw: string) => call(gw.url, '/v1/settlements', { raw, token: TOKENS.deskA });

  it.each(['1E3', '1e5', '1000.000', '0.009999999999999999999', '-0', '12.345', '1.0e2'])('refuses the amount literal %s with the field path (400)', async (literal) => {
    const r = await settleRaw(rawBodyWithAmount(literal));
    expect(r.status).toBe(400);
    const problem = asProblem(r.json);
    expect(problem.code).toBe('INVALID_REQUEST');
    expect(problem.errors.map((e) => e.path)).toEqual(['items.0.amount']);
  });

  it.each([['1000', '1000.00'], ['12.5', '12.50'], ['12.50', '12.50'], ['0', '0.00'], ['99.99', '99.99']])('accepts the amount literal %s as %s', async (literal, total) => {
    const r = await settleRaw(rawBodyWithAmount(literal));
    expect(r.status).toBe(201);
    expect(asSplit(r.json).total).toBe(total);
  });

  it('judges a ratio sent as a number on its text too (1E-1 refused, 0.10 accepted)', async () => {
    expect((await settleRaw(rawBodyWithAmount('1E-1', 'selfPayRatio'))).status).toBe(400);
    const ok = await settleRaw(rawBodyWithAmount('0.10', 'selfPayRatio'));
    expect(ok.status).toBe(201);
    expect(asSplit(ok.json).preSelfPay).toBe('10.00');
  });

  it('replays a body with number amounts as the same settlement', async () => {
    const raw = rawBodyWithAmount('100.50');
    expect((await settleRaw(raw)).status).toBe(201);
    const again = await settleRaw(raw);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replay')).toBe('true');
  });

  it('answers 400, not 500, to an unknown field nested 10 000 deep', async () => {
    const b = JSON.stringify(requestBody({ settlementId: nextId(), hospital: { id: HOSPITAL_A }, patient: { id: person() } }));
    const deep = `${b.slice(0, -1)},"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const r = await settleRaw(deep);
    expect(r.status).toBe(400);
    expect(asProblem(r.json).code).toBe('INVALID_REQUEST');
    const deepObject = `${b.slice(0, -1)},"x":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`;
    expect((await settleRaw(deepObject)).status).toBe(400);
  });

  it.each([
    ['GET', '/v1/settlements/%ZZ/x'],
    ['GET', `/v1/settlements/${HOSPITAL_A}/%E0%A4%A/slip`],
    ['POST', '/v1/settlements/%ZZ/x/reversal'],
    ['PUT', '/v1/rosters/%ZZ'],
  ])('answers %s %s with a 400 problem document', async (method, path) => {
    const r = await call(gw.url, path, { method, token: TOKENS.admin });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(asProblem(r.json).code).toBe('INVALID_REQUEST');
  });
});

describe('the access log', () => {
  let gateway: Gateway;
  const lines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString('utf8')); done(); } });
    gateway = await startGateway(loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', RELAY_ENABLED: 'false' }), createLogger('info', sink));
  });
  afterAll(async () => { await gateway?.stop(); });

  it('never carries a query string (a token wrongly put there stays out of the log and the answer)', async () => {
    const secret = 'dev-token-in-the-query-0123456789';
    const r = await call(`http://127.0.0.1:${gateway.port}`, `/v1/settlements/${HOSPITAL_A}/NOPE?access_token=${secret}`, { token: 'dev-token' });
    expect(r.status).toBe(404);
    expect(r.text).not.toContain(secret);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const requestLines = lines.filter((l) => l.includes('"msg":"request"'));
    expect(requestLines.some((l) => l.includes(`/v1/settlements/${HOSPITAL_A}/NOPE`))).toBe(true);
    expect(lines.join('\n')).not.toContain(secret);
  });
});
