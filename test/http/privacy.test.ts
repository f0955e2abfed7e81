/** Personal identifiers never reach the logs in clear, whatever the call did, nor a browser's or proxy's cache. */
import { Writable } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';
import { startGateway, type Gateway } from '../../gateway/main.js';
import { call, startTestGateway, type TestGateway } from '../support/gateway.js';
import { requestBody } from '../support/requests.js';

describe('logs', () => {
  const lines: string[] = [];
  let gateway: Gateway;
  let url: string;
  beforeAll(async () => {
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
    const dir = mkdtempSync(join(tmpdir(), 'gw-privacy-'));
    writeFileSync(join(dir, 'clients.json'), JSON.stringify([{ token: 'privacy-token-0123456789', name: 'desk', roles: ['desk', 'admin'], hospitalIds: '*' }]));
    gateway = await startGateway(loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', GATEWAY_CLIENTS_FILE: join(dir, 'clients.json') }), createLogger('debug', sink));
    url = `http://127.0.0.1:${gateway.port}`;
  });
  afterAll(async () => { await gateway?.stop(); });

  it('carry no ID number, name or token through settle, bad input, roster load, slip and reversal', async () => {
    const id = '990100198807074321';
    const body = requestBody({ settlementId: 'PRIV1', patient: { id, name: '李四光' } });
    const token = 'privacy-token-0123456789';
    await call(url, '/v1/settlements', { body, token });
    await call(url, '/v1/settlements', { body: { ...body, items: [{ amount: 'x' }] }, token });
    await call(url, '/v1/rosters/sanming-2024-puhui', { method: 'PUT', body: { rows: [{ personId: id, from: '2024-01-01', to: '2024-12-31' }, { personId: id, from: 'bad' }] }, token });
    await call(url, `/v1/settlements/${body.hospital.id}/PRIV1/slip`, { token });
    await call(url, `/v1/settlements/${body.hospital.id}/PRIV1/reversal`, { method: 'POST', token });
    await call(url, '/v1/persons/settlements', { body: { personId: id }, token });
    await call(url, '/v1/persons/standing', { body: { personId: id, year: '2024' }, token });
    await call(url, `/v1/settlements?hospitalId=${body.hospital.id}&date=2024-03-10`, { token });
    await new Promise((r) => setTimeout(r, 100));
    const text = lines.join('');
    expect(lines.length).toBeGreaterThan(5);
    expect(text).toContain('PRIV1');
    expect(text).not.toContain(id);
    expect(text).not.toContain('李四光');
    expect(text).not.toContain(token);
  });
});

/**
 * The answers carry persons' settlements, rosters and reports: no browser on a shared desk PC and no proxy may keep
 * them (Cache-Control: no-store on every answer, refusals too). Only files that hold nothing personal say otherwise.
 */
describe('caches', () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway(); });
  afterAll(async () => { await gw?.stop(); });

  it('are told to keep no answer of the API, the slip or an adapter', async () => {
    const body = requestBody({ settlementId: 'NOSTORE1' });
    const answers = [
      await call(gw.url, '/v1/settlements', { body }),
      await call(gw.url, '/v1/settlements', { body }), // the replay
      await call(gw.url, `/v1/settlements/${body.hospital.id}/NOSTORE1`),
      await call(gw.url, `/v1/settlements/${body.hospital.id}/NOSTORE1/slip`),
      await call(gw.url, '/v1/persons/standing', { body: { personId: body.patient.id, year: '2024' } }),
      await call(gw.url, '/v1/settlements', { body: { ...body, items: [{ amount: 'x' }] } }),
      await call(gw.url, '/v1/settlements', { body, token: null }),
      await call(gw.url, '/fhir/metadata', { token: null }),
      await call(gw.url, '/healthz', { token: null }),
    ];
    expect(answers.map((a) => a.status)).toEqual([201, 200, 200, 200, 200, 400, 401, 200, 200]);
    for (const answer of answers) expect(answer.headers.get('cache-control')).toBe('no-store');
  });

  it('may keep the pages and the desk font, which hold nothing personal', async () => {
    const desk = await call(gw.url, '/desk/', { token: null });
    expect(desk.headers.get('cache-control')).toBe('no-cache');
    expect((await call(gw.url, '/reports', { token: null })).headers.get('cache-control')).toBe('no-cache');
    const fontPath = /\/desk\/fonts\/[\w.-]+\.woff2/.exec((await call(gw.url, '/desk/fonts/noto-sans-sc.css', { token: null })).text)?.[0];
    expect(fontPath).toBeDefined();
    const font = await call(gw.url, fontPath ?? '', { token: null });
    expect(font.status).toBe(200);
    expect(font.headers.get('cache-control')).toBe('public, max-age=604800');
  });
});
