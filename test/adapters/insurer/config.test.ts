/** INSURERS_FILE: validated at start-up; secrets only by reference; programmes checked against the packs. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInsurers } from '../../../adapters/insurer/config.js';
import { loadProgrammes } from '../../../gateway/programmes/load.js';
import { startTestGateway } from '../../support/gateway.js';

const programmes = loadProgrammes();
const dir = mkdtempSync(join(tmpdir(), 'gw-insurer-config-'));
const write = (name: string, content: string) => { const file = join(dir, name); writeFileSync(file, content); return file; };
const base = { code: 'chinalife-weihai', name: '中国人寿威海分公司', programmes: ['weihai-2020-medical'], endpoint: 'https://insurer.example/claims' };
const file = (insurers: unknown[]) => write(`i${Math.random()}.json`, JSON.stringify({ insurers }));

describe('insurer configuration', () => {
  it('fills the defaults: masked identifiers, the gateway cut-off, bounded timeout, retry, breaker and rate', () => {
    const [i] = loadInsurers(file([base]), programmes, '24:00', {}).insurers;
    expect(i).toMatchObject({ identifiers: 'masked', cutoff: '24:00', timeoutMs: 5000, retry: { maxAttempts: 3 }, breaker: { resetMs: 30000 }, rateLimit: { perSecond: 20, burst: 20 } });
    expect(i!.bearerToken).toBeUndefined();
  });

  it('reads YAML too, and secrets from an environment variable or a file', () => {
    const secret = write('secret.txt', 'from-a-file\n');
    const yaml = write('insurers.yaml', `insurers:\n  - code: nantong-dibubao\n    name: 南通\n    programmes: [nantong-2022-dibubao]\n    endpoint: https://nt.example/claims\n    credential: { file: ${secret} }\n    identifiers: keyedHash\n    identifierKey: { env: NT_KEY }\n    batchCutoff: "16:00"\n`);
    const [i] = loadInsurers(yaml, programmes, '24:00', { NT_KEY: 'k' }).insurers;
    expect(i).toMatchObject({ bearerToken: 'from-a-file', cutoff: '16:00' });
    expect(i!.hashKey?.toString()).toBe('k');
  });

  it('refuses a secret written into the file, a missing secret, a hash without a key, a programme of another insurer, a duplicate', () => {
    expect(() => loadInsurers(file([{ ...base, token: 'inline-secret' }]), programmes, '24:00', {})).toThrow(/token|Unrecognized/);
    expect(() => loadInsurers(file([{ ...base, credential: { value: 'inline-secret' } }]), programmes, '24:00', {})).toThrow(/credential/);
    expect(() => loadInsurers(file([{ ...base, credential: { env: 'ABSENT_TOKEN' } }]), programmes, '24:00', {})).toThrow(/ABSENT_TOKEN/);
    expect(() => loadInsurers(file([{ ...base, identifiers: 'keyedHash' }]), programmes, '24:00', {})).toThrow(/identifierKey/);
    expect(() => loadInsurers(file([{ ...base, programmes: ['nantong-2022-dibubao'] }]), programmes, '24:00', {})).toThrow(/names insurer nantong-dibubao/);
    expect(() => loadInsurers(file([{ ...base, programmes: ['no-such-programme'] }]), programmes, '24:00', {})).toThrow(/not a loaded programme/);
    expect(() => loadInsurers(file([base, base]), programmes, '24:00', {})).toThrow(/once/);
    expect(() => loadInsurers(file([{ ...base, identifiers: 'plain' }]), programmes, '24:00', {})).toThrow(/identifiers/);
  });

  it('accepts the example file of deploy/', () => {
    const env = { CHINALIFE_WEIHAI_TOKEN: 'a', SANMING_PUHUI_TOKEN: 'b' };
    // The example's secret files live in a Kubernetes mount: validate the file itself, secrets aside.
    const text = readFileSync('deploy/insurers.example.yaml', 'utf8').replaceAll('/run/secrets/insurers/', `${dir}/`);
    writeFileSync(join(dir, 'nantong-token'), 'token');
    writeFileSync(join(dir, 'nantong-hmac-key'), 'key');
    for (const name of ['hold-index-key', 'chinalife-client.crt', 'chinalife-client.key', 'chinalife-ca.crt', 'chinalife-signing-key', 'chinalife-callback-key']) writeFileSync(join(dir, name), name);
    const { insurers, holdIndexKey } = loadInsurers(write('example.yaml', text), programmes, '24:00', env, true);
    expect(insurers.map((i) => [i.code, i.identifiers, i.cutoff])).toEqual([['chinalife-weihai', 'masked', '24:00'], ['nantong-dibubao', 'keyedHash', '24:00'], ['sanming-puhui', 'full', '16:00']]);
    expect(holdIndexKey?.toString()).toBe('hold-index-key');
    expect(insurers[0]).toMatchObject({ tlsMaterial: { cert: 'chinalife-client.crt', key: 'chinalife-client.key', ca: 'chinalife-ca.crt' }, signer: { algorithm: 'hmac-sm3', maxSkewSeconds: 300 } });
  });

  it('reads mutual TLS and signing by reference, refuses TLS to an http endpoint, an unknown algorithm, an inline key', () => {
    const tls = { cert: { env: 'CERT' }, key: { file: write('client.key', 'KEY-PEM\n') }, ca: { env: 'CA' } };
    const signing = { algorithm: 'hmac-sm3', key: { env: 'SIGN' }, callbackKey: { env: 'CALLBACK' } };
    const { insurers: [i] } = loadInsurers(file([{ ...base, tls, signing }]), programmes, '24:00', { CERT: 'CERT-PEM', CA: 'CA-PEM', SIGN: 's', CALLBACK: 'c' });
    expect(i!.tlsMaterial).toEqual({ cert: 'CERT-PEM', key: 'KEY-PEM', ca: 'CA-PEM' });
    expect(i!.signer).toMatchObject({ algorithm: 'hmac-sm3', maxSkewSeconds: 300 });
    expect([i!.signer!.key.toString(), i!.signer!.callbackKey.toString()]).toEqual(['s', 'c']);
    const env = { CERT: 'x', CA: 'x', SIGN: 's' };
    expect(() => loadInsurers(file([{ ...base, endpoint: 'http://insurer.example/claims', tls }]), programmes, '24:00', env)).toThrow(/mutual TLS needs an https/);
    expect(() => loadInsurers(file([{ ...base, signing: { ...signing, algorithm: 'md5' } }]), programmes, '24:00', env)).toThrow(/signing.algorithm/);
    expect(() => loadInsurers(file([{ ...base, signing: { ...signing, key: 'inline' } }]), programmes, '24:00', env)).toThrow(/signing.key/);
    expect(() => loadInsurers(file([{ ...base, signing }]), programmes, '24:00', env)).toThrow(/CALLBACK is not set/);
  });

  it('requires the hold index key in production, read by reference', () => {
    const withoutKey = file([base]);
    expect(() => loadInsurers(withoutKey, programmes, '24:00', {}, true)).toThrow(/holdIndexKey: required in production/);
    const withKey = write('with-key.json', JSON.stringify({ insurers: [base], holdIndexKey: { env: 'HOLD_KEY' } }));
    expect(loadInsurers(withKey, programmes, '24:00', { HOLD_KEY: 'hold-secret' }, true).holdIndexKey?.toString()).toBe('hold-secret');
    expect(() => loadInsurers(withKey, programmes, '24:00', {}, true)).toThrow(/holdIndexKey: the environment variable HOLD_KEY is not set/);
  });

  it('stops the gateway from starting on a bad file', async () => {
    await expect(startTestGateway({ INSURERS_FILE: file([{ ...base, endpoint: 'not a url' }]) })).rejects.toThrow(/endpoint/);
  });
});
