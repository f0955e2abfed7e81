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

  it('takes the server\'s token by reference; a plain bearerToken is warned of, and refused in production', () => {
    const warnings: string[] = [];
    const reading = (production: boolean) => ({ production, warn: (m: string) => warnings.push(m), env: { FHIR_H1_TOKEN: 'from-the-env' } });
    const byRef = file('ref.json', '{"H1":{"baseUrl":"http://127.0.0.1:9/fhir","credential":{"env":"FHIR_H1_TOKEN"}}}');
    expect(loadHospitalServers(byRef, reading(true))).toEqual({ H1: { baseUrl: 'http://127.0.0.1:9/fhir', timeoutMs: 2000, retries: 1, bearerToken: 'from-the-env' } });
    expect(warnings).toEqual([]);
    const plain = file('plain.json', '{"H1":{"baseUrl":"http://127.0.0.1:9/fhir","bearerToken":"in-the-file"}}');
    expect(loadHospitalServers(plain, reading(false))).toMatchObject({ H1: { bearerToken: 'in-the-file' } });
    expect(warnings).toEqual([expect.stringMatching(/H1\.bearerToken is a token in plain text/)]);
    expect(() => loadHospitalServers(plain, reading(true))).toThrow(/H1\.bearerToken: a token in plain text is refused in production/);
    const missing = file('missing.json', '{"H1":{"baseUrl":"http://127.0.0.1:9/fhir","credential":{"env":"NOT_SET_ANYWHERE"}}}');
    expect(() => loadHospitalServers(missing, reading(false))).toThrow(/H1\.credential/);
    const both = file('both.json', '{"H1":{"baseUrl":"http://127.0.0.1:9/fhir","credential":{"env":"FHIR_H1_TOKEN"},"bearerToken":"x"}}');
    expect(() => loadHospitalServers(both, reading(false))).toThrow(/give the token in one place/);
  });

  it('stops the gateway from starting when a hospital\'s reads could outlast the request timeout', async () => {
    const slow = file('s.json', JSON.stringify({ H1: { baseUrl: 'http://127.0.0.1:9/fhir', timeoutMs: 4000, retries: 2 } }));
    await expect(startTestGateway({ FHIR_SERVERS_FILE: slow, RELAY_ENABLED: 'false', INTAKE_ENABLED: 'false' })).rejects.toThrow(/REQUEST_TIMEOUT_MS/);
  });
});
