/** Through the FHIR adapter too, ID numbers, names and tokens never reach the logs — even when a hospital's server uses the ID number as the Patient's id and fails. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../../../adapters/fhir/vocabulary.js';
import { loadConfig } from '../../../gateway/config.js';
import { createLogger } from '../../../gateway/log.js';
import { startGateway, type Gateway } from '../../../gateway/main.js';
import { startFhirServer, type TestFhirServer } from '../../support/fhir-server.js';
import { call } from '../../support/gateway.js';
import { requestBody } from '../../support/requests.js';
import { claimOf, claimText } from './claims.js';

describe('FHIR adapter logs', () => {
  const lines: string[] = [];
  let gateway: Gateway;
  let fhir: TestFhirServer;
  let url: string;
  const token = 'privacy-token-0123456789';
  const serverToken = 'hospital-server-secret-token';
  beforeAll(async () => {
    fhir = await startFhirServer();
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
    const dir = mkdtempSync(join(tmpdir(), 'gw-fhir-privacy-'));
    writeFileSync(join(dir, 'clients.json'), JSON.stringify([{ token, name: 'desk', roles: ['desk', 'admin'], hospitalIds: '*' }]));
    writeFileSync(join(dir, 'servers.json'), JSON.stringify({ H99000000001: { baseUrl: fhir.baseUrl, timeoutMs: 300, retries: 1, bearerToken: serverToken } }));
    gateway = await startGateway(loadConfig({
      NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', GATEWAY_CLIENTS_FILE: join(dir, 'clients.json'),
      FHIR_SERVERS_FILE: join(dir, 'servers.json'), RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false',
    }), createLogger('debug', sink));
    url = `http://127.0.0.1:${gateway.port}`;
  });
  afterAll(async () => { await gateway?.stop(); await fhir?.stop(); });

  it('carry no ID number, name or token through submit, bad input, failing reads, search and EOB read', async () => {
    const id = '990100198807074321';
    const native = requestBody({ settlementId: 'FPRIV1', patient: { id, name: '李四光' } });
    const submit = (resource: unknown) => call(url, '/fhir/Claim/$submit', { raw: claimText(resource), token, contentType: 'application/fhir+json' });
    const settled = await submit(claimOf(native));
    expect(settled.status).toBe(201);
    await call(url, `/fhir/${settled.headers.get('location') ?? ''}`.replace('ClaimResponse', 'ExplanationOfBenefit'), { token });
    await submit({ ...claimOf(native), item: [{ sequence: 1, productOrService: { text: '李四光' }, net: { value: 'x' } }] });
    fhir.mode = 'error';
    await submit(claimOf({ ...native, settlementId: 'FPRIV2' }, { references: 'remote', patientId: id, coverageId: id }));
    expect(fhir.lastAuthorization).toBe(`Bearer ${serverToken}`); // the configured token goes to the hospital's server, and nowhere else
    await submit(claimOf({ ...native, settlementId: 'FPRIV2' }, { references: 'remote', patientId: id, coverageId: id }));
    fhir.mode = 'drop';
    await submit(claimOf({ ...native, settlementId: 'FPRIV3' }, { references: 'remote', patientId: id, coverageId: id }));
    for (const type of ['ExplanationOfBenefit', 'ClaimResponse']) {
      const found = await fetch(`${url}/fhir/${type}/_search`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `patient:identifier=${encodeURIComponent(`${SYSTEM.personId}|${id}`)}&_count=1` });
      // The page links are GET URLs (logged like any URL): they carry a cursor, never the ID number.
      const links = ((await found.json()) as { link: Array<{ url: string }> }).link;
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) expect((await fetch(link.url, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    }
    await new Promise((r) => setTimeout(r, 100));
    const text = lines.join('');
    expect(text).toContain('hospital FHIR server read failed');
    expect(text).not.toContain(id);
    expect(text).not.toContain('李四光');
    expect(text).not.toContain(token);
    expect(text).not.toContain(serverToken);
  });
});
