/** Personal identifiers never reach the logs in clear, whatever the call did. */
import { Writable } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';
import { startGateway, type Gateway } from '../../gateway/main.js';
import { call } from '../support/gateway.js';
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
