/** Starts the whole gateway (composition root included) on a free port for HTTP tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../gateway/config.js';
import { startGateway, type Gateway } from '../../gateway/main.js';
import { createLogger } from '../../gateway/log.js';
import type { Client } from '../../schemas/clients.js';
import { problem } from '../../schemas/problem.js';
import { split } from '../../schemas/settlement.js';

export const TOKENS = {
  admin: 'admin-token-0123456789abcdef',
  deskA: 'desk-a-token-0123456789abcdef',
  deskB: 'desk-b-token-0123456789abcdef',
  auditor: 'auditor-token-0123456789abcdef',
};
export const HOSPITAL_A = 'H99000000001';
export const HOSPITAL_B = 'H99000000002';

const CLIENTS: Client[] = [
  { token: TOKENS.admin, name: 'ops', roles: ['admin', 'desk'], hospitalIds: '*' },
  { token: TOKENS.deskA, name: 'desk-a', roles: ['desk'], hospitalIds: [HOSPITAL_A] },
  { token: TOKENS.deskB, name: 'desk-b', roles: ['desk'], hospitalIds: [HOSPITAL_B] },
  { token: TOKENS.auditor, name: 'auditor', roles: ['auditor'], hospitalIds: '*' },
];

export interface TestGateway { url: string; gateway: Gateway; stop(): Promise<void> }

export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-clients-'));
  const clientsFile = join(dir, 'clients.json');
  writeFileSync(clientsFile, JSON.stringify(CLIENTS));
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', GATEWAY_CLIENTS_FILE: clientsFile, ...env });
  const gateway = await startGateway(config, createLogger('silent'));
  // The clients file goes with the gateway: every test file starts one or more, and each left a directory in the system's temp.
  return { url: `http://127.0.0.1:${gateway.port}`, gateway, stop: async () => { await gateway.stop(); rmSync(dir, { recursive: true, force: true }); } };
}

export async function call(url: string, path: string, init: { method?: string; token?: string | null; body?: unknown; raw?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? TOKENS.admin}`;
  if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const response = await fetch(url + path, { method: init.method ?? (init.body !== undefined || init.raw !== undefined ? 'POST' : 'GET'), headers, body: init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined) });
  const text = await response.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: response.status, headers: response.headers, text, json };
}

/** Response bodies checked against the contract's own schemas as they are read. */
export const asSplit = (json: unknown) => split.parse(json);
export const asProblem = (json: unknown) => problem.parse(json);
