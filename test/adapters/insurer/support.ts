/** A gateway with insurers configured against the mock insurer, and stays that pay them. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import { call, HOSPITAL_A, HOSPITAL_B, TOKENS, type TestGateway } from '../../support/gateway.js';
import { loadConfig } from '../../../gateway/config.js';
import { createLogger } from '../../../gateway/log.js';
import { startGateway } from '../../../gateway/main.js';
import type { Client } from '../../../schemas/clients.js';
import type { MockInsurer } from '../../support/mock-insurer.js';
import { compliantItems, requestBody } from '../../support/requests.js';

export const WEIHAI = 'chinalife-weihai';
export const NANTONG = 'nantong-dibubao';
export const SANMING = 'sanming-puhui';
export const WEIHAI_HOSPITAL = 'H37100200001';
export const WEIHAI_HOSPITAL_2 = 'H37100200002';
export const NANTONG_HOSPITAL = 'H32060200001';
export const HASH_KEY = 'shared-hmac-key-for-tests-0123456789';

type InsurerOverrides = Record<string, unknown>;

export function insurersFile(mock: MockInsurer, overrides: Record<string, InsurerOverrides> = {}): string {
  const fast = { timeoutMs: 400, retry: { initialMs: 10, maxMs: 100, maxAttempts: 3 }, breaker: { resetMs: 250, volumeThreshold: 2, errorThresholdPercentage: 50 }, rateLimit: { perSecond: 1000, burst: 100 } };
  const insurers = [
    { code: WEIHAI, name: '中国人寿威海分公司', programmes: ['weihai-2020-medical', 'weihai-2020-accident'], endpoint: mock.url(WEIHAI), credential: { env: 'TEST_CHINALIFE_TOKEN' }, ...fast, ...overrides[WEIHAI] },
    { code: NANTONG, name: '低补保承办保险机构（南通）', programmes: ['nantong-2022-dibubao'], endpoint: mock.url(NANTONG), identifiers: 'keyedHash', identifierKey: { env: 'TEST_NANTONG_HMAC_KEY' }, ...fast, ...overrides[NANTONG] },
    { code: SANMING, name: '三明普惠医联保承保机构', programmes: ['sanming-2024-puhui'], endpoint: mock.url(SANMING), identifiers: 'full', ...fast, ...overrides[SANMING] },
  ];
  process.env.TEST_CHINALIFE_TOKEN = 'chinalife-secret-token';
  process.env.TEST_NANTONG_HMAC_KEY = HASH_KEY;
  const dir = mkdtempSync(join(tmpdir(), 'gw-insurers-'));
  const file = join(dir, 'insurers.json');
  writeFileSync(file, JSON.stringify({ insurers }));
  return file;
}

export const INSURER_TOKEN = 'insurer-weihai-token-0123456789abcdef';
export const DESK_WEIHAI_TOKEN = 'desk-weihai-token-0123456789abcdef';

/** The test clients plus an insurer client speaking for 威海 (a clients file of its own: the shared helper's stays as it is). */
export async function startInsurerGateway(mock: MockInsurer, env: Record<string, string> = {}, overrides: Record<string, InsurerOverrides> = {}): Promise<TestGateway> {
  const clients: Client[] = [
    { token: TOKENS.admin, name: 'ops', roles: ['admin', 'desk'], hospitalIds: '*' },
    { token: TOKENS.deskA, name: 'desk-a', roles: ['desk'], hospitalIds: [HOSPITAL_A] },
    { token: TOKENS.deskB, name: 'desk-b', roles: ['desk'], hospitalIds: [HOSPITAL_B] },
    { token: TOKENS.auditor, name: 'auditor', roles: ['auditor'], hospitalIds: '*' },
    { token: DESK_WEIHAI_TOKEN, name: 'desk-weihai', roles: ['desk'], hospitalIds: [WEIHAI_HOSPITAL] },
    { token: INSURER_TOKEN, name: 'chinalife-weihai', roles: ['insurer'], hospitalIds: [], insurerCodes: [WEIHAI] },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'gw-insurer-clients-'));
  const clientsFile = join(dir, 'clients.json');
  writeFileSync(clientsFile, JSON.stringify(clients));
  const insurers = insurersFile(mock, overrides);
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', GATEWAY_CLIENTS_FILE: clientsFile, INSURERS_FILE: insurers, ...env });
  const gateway = await startGateway(config, createLogger('silent'));
  // Its files go with the gateway (each start left two directories in the system's temp).
  const stop = async () => { await gateway.stop(); for (const written of [dir, dirname(insurers)]) rmSync(written, { recursive: true, force: true }); };
  return { url: `http://127.0.0.1:${gateway.port}`, gateway, stop };
}

/** 威海: enrol persons in the 2020 poverty roster (the medical programme pays only people on it). */
export async function enrolWeihai(url: string, personIds: string[]): Promise<void> {
  const res = await call(url, '/v1/rosters/weihai-2020-medical', { method: 'PUT', body: { rows: personIds.map((personId) => ({ personId, from: '2020-01-01', to: '2020-12-31', categories: ['poverty-alleviated'] })) } });
  expect(res.status, res.text).toBe(200);
}

/** A 威海 stay: compliant 10000 with basic 5000 given → the medical programme pays burden − 10% = 5000 − 1000 − earlier payments. */
export async function settleWeihai(url: string, o: { settlementId: string; personId: string; hospitalId?: string; basic?: string; compliant?: string }) {
  const body = requestBody({
    settlementId: o.settlementId,
    hospital: { id: o.hospitalId ?? WEIHAI_HOSPITAL, region: '371002', level: 3 },
    patient: { id: o.personId, name: '王五', insuredRegion: '371002', categories: ['poverty-alleviated'] },
    encounter: { admittedOn: '2020-03-01', dischargedOn: '2020-03-10', diagnoses: [{ icd10: 'I63.9', primary: true }] },
    items: compliantItems(o.compliant ?? '10000.00'),
    upstream: { basic: o.basic ?? '5000.00' },
  });
  const res = await call(url, '/v1/settlements', { body, token: TOKENS.admin });
  expect(res.status, res.text).toBe(201);
  return res.json as { gatewayId: string; lines: Array<{ programme: string; amount: string }>; settledAt: string };
}

/** A 南通 低保 stay with lung cancer: pays 98% of the compliant cost left after the public layers. */
export async function settleNantong(url: string, o: { settlementId: string; personId: string }) {
  const body = requestBody({
    settlementId: o.settlementId,
    hospital: { id: NANTONG_HOSPITAL, region: '320602', level: 3 },
    patient: { id: o.personId, name: '赵六', insuredRegion: '320602', categories: ['dibao'] },
    encounter: { admittedOn: '2022-05-01', dischargedOn: '2022-05-20', diagnoses: [{ icd10: 'C34.9', primary: true }] },
    items: compliantItems('10000.00'),
    upstream: { basic: '6000.00', majorIllness: '1000.00', aid: '500.00' },
  });
  const res = await call(url, '/v1/settlements', { body, token: TOKENS.admin });
  expect(res.status, res.text).toBe(201);
  return res.json as { gatewayId: string; lines: Array<{ programme: string; amount: string }>; settledAt: string };
}

export async function reverse(url: string, hospitalId: string, settlementId: string): Promise<void> {
  const res = await call(url, `/v1/settlements/${hospitalId}/${settlementId}/reversal`, { method: 'POST', token: TOKENS.admin });
  expect(res.status, res.text).toBe(200);
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface ClaimViewJson { claimId: string; gatewayId: string; kind: string; state: string; reason?: string; receiptNo?: string; amount: string; settledOn: string; batchDay: string; hospitalId: string; history: Array<{ state: string }>; deadLetter?: { reason: string } }

export async function claimsOf(url: string, code: string, gatewayId: string, token = TOKENS.admin): Promise<ClaimViewJson[]> {
  const res = await call(url, `/v1/claims/${code}/${gatewayId}`, { token });
  if (res.status === 404) return [];
  expect(res.status, res.text).toBe(200);
  return (res.json as { claims: ClaimViewJson[] }).claims;
}

export async function metric(url: string, name: string, labels: string): Promise<number | undefined> {
  const text = (await call(url, '/metrics', { token: null })).text;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : undefined;
}
