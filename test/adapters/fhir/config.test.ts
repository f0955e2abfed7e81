/** FHIR_SERVERS_FILE: JSON or YAML, validated at start-up; a timeout budget over the request timeout stops the start. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHospitalServers } from '../../../adapters/fhir/hospital-servers.js';
import { startTestGateway } from '../../support/gateway.js';

const file = (name: string, text: string) => { const path = join(mkdtempSync(join(tmpdir(), 'gw-fhir-cfg-')), name); writeFileSync(path, text); return path; };

describe('FHIR_SERVERS_FILE', () => {
  it('reads JSON and YAML, with defaults', () => {
    expect(loadHospitalServers(file('s.yaml', 'H1:\n  baseUrl: https://fhir.example/r4\n  timeoutMs: 800\n'))).toEqual({ H1: { baseUrl: 'https://fhir.example/r4', timeoutMs: 800, retries: 1 } });
    expect(loadHospitalServers(file('s.json', '{"H1":{"baseUrl":"http://127.0.0.1:9/fhir"}}'))).toEqual({ H1: { baseUrl: 'http://127.0.0.1:9/fhir', timeoutMs: 2000, retries: 1 } });
    expect(loadHospitalServers(undefined)).toEqual({});
  });

  it('refuses a bad file, naming the field', () => {
    expect(() => loadHospitalServers(file('s.json', '{"H1":{"baseUrl":"ftp://x"}}'))).toThrow(/H1\.baseUrl/);
    expect(() => loadHospitalServers(file('s.json', '{"H1":{"baseUrl":"http://x","retries":9}}'))).toThrow(/H1\.retries/);
  });

  it('stops the gateway from starting when a hospital\'s reads could outlast the request timeout', async () => {
    const slow = file('s.json', JSON.stringify({ H1: { baseUrl: 'http://127.0.0.1:9/fhir', timeoutMs: 4000, retries: 2 } }));
    await expect(startTestGateway({ FHIR_SERVERS_FILE: slow, RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' })).rejects.toThrow(/REQUEST_TIMEOUT_MS/);
  });
});
