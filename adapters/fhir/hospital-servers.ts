/**
 * Reading a Patient or Coverage from a hospital's own FHIR server with fhir-kit-client. One client and
 * one breaker per hospital (gateway/resilience): each read has a timeout (and is aborted at it), transient failures
 * (network, 5xx, 429, timeout) are retried a bounded number of times with jitter, and a server that
 * keeps failing opens its breaker so later claims fail at once instead of waiting. Every outcome is
 * counted; the breaker state is a gauge. Nothing here ever lets a claim hang.
 */
import { readFileSync } from 'node:fs';
import { Client } from 'fhir-kit-client';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { Unavailable, Unprocessable } from '../../gateway/errors.js';
import { readSecret, secretRef } from '../../gateway/secrets.js';
import { withRetries } from '../../gateway/resilience/backoff.js';
import { Breaker, BreakerOpen } from '../../gateway/resilience/breaker.js';
import type { RemoteReader, RemoteType } from './references.js';

const hospitalServer = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  /** Per read attempt; the read is aborted when it passes. */
  timeoutMs: z.int().min(50).max(10_000).default(2_000),
  /** Extra attempts after a transient failure (0 = none). */
  retries: z.int().min(0).max(3).default(1),
  /** The hospital server's bearer token by reference: { "file": "/run/secrets/…" } or { "env": "NAME" }. */
  credential: secretRef.optional(),
  /** The token as plain text, as files of earlier releases give it: read outside production with a warning, refused in production. */
  bearerToken: z.string().min(1).optional(),
});
const hospitalServersFile = z.record(z.string().min(1).max(32), hospitalServer);

/** A hospital's server as the reads use it: its token read (kept out of logs). */
export interface HospitalServer { baseUrl: string; timeoutMs: number; retries: number; bearerToken?: string }

export interface ServersFileReading {
  production: boolean;
  warn: (message: string) => void;
  env: NodeJS.ProcessEnv;
}

const DEVELOPMENT_READING: ServersFileReading = { production: false, warn: () => undefined, env: process.env };

/**
 * Reads and validates FHIR_SERVERS_FILE (JSON or YAML: hospitalId → { baseUrl, timeoutMs, retries, credential }).
 * A token sits in the file only by reference; a plain `bearerToken` (earlier releases) is refused in production,
 * where whoever reads the file would read the token, and warned of elsewhere.
 */
export function loadHospitalServers(file: string | undefined, reading: ServersFileReading = DEVELOPMENT_READING): Record<string, HospitalServer> {
  if (!file) return {};
  const text = readFileSync(file, 'utf8');
  const raw: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  const parsed = hospitalServersFile.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const servers: Record<string, HospitalServer> = {};
  for (const [hospitalId, { credential, bearerToken, ...server }] of Object.entries(parsed.data)) {
    if (credential && bearerToken !== undefined) throw new Error(`${file}: ${hospitalId}: give the token in one place, credential`);
    if (bearerToken !== undefined) {
      if (reading.production) throw new Error(`${file}: ${hospitalId}.bearerToken: a token in plain text is refused in production; give it by reference in credential ({"file":"/run/secrets/…"} or {"env":"NAME"})`);
      reading.warn(`fhir: ${file}: ${hospitalId}.bearerToken is a token in plain text; give it by reference in credential (refused in production)`);
    }
    let token = bearerToken;
    if (credential) {
      try {
        token = readSecret(credential, reading.env);
      } catch (error) {
        throw new Error(`${file}: ${hospitalId}.credential: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
    }
    servers[hospitalId] = { ...server, ...(token !== undefined ? { bearerToken: token } : {}) };
  }
  return servers;
}

/** The longest pause before a retry: up to 100 ms, 200 ms, then this cap (retries ≤ 3). */
export const RETRY_PAUSE_MAX_MS = 350;
const RETRY_BACKOFF = { initialMs: 100, maxMs: RETRY_PAUSE_MAX_MS };

/** The read was aborted at its timeout, or the breaker's backstop struck. */
const isTimeout = (error: unknown): boolean =>
  (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ETIMEDOUT') || (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'));

/** An error response of the server (4xx other than 429): the server answered; not a failure of it. */
function clientErrorStatus(error: unknown): number | undefined {
  const status = (error as { response?: { status?: unknown } } | null)?.response?.status;
  return typeof status === 'number' && status >= 400 && status < 500 && status !== 429 ? status : undefined;
}

export interface HospitalServersOptions {
  servers: Record<string, HospitalServer>;
  registry: Registry;
  log: Logger;
  /** How long an open breaker waits before letting one trial read through. */
  resetTimeoutMs?: number;
}

interface Channel { server: HospitalServer; breaker: Breaker<[RemoteType, string], unknown> }

export class HospitalServers implements RemoteReader {
  private readonly channels = new Map<string, Channel>();
  private readonly reads: Counter<'hospital' | 'resource' | 'outcome'>;

  constructor(private readonly options: HospitalServersOptions) {
    this.reads = new Counter({ name: 'gateway_fhir_server_reads_total', help: 'Reads from hospitals\' FHIR servers by outcome (ok, not-found, rejected, error, timeout, open)', labelNames: ['hospital', 'resource', 'outcome'] as const, registers: [options.registry] });
    for (const [hospitalId, server] of Object.entries(options.servers)) this.channels.set(hospitalId, this.channel(hospitalId, server));
  }

  baseUrlOf(hospitalId: string): string | undefined {
    return this.channels.get(hospitalId)?.server.baseUrl.replace(/\/+$/, '');
  }

  async read(hospitalId: string, resourceType: RemoteType, id: string): Promise<unknown> {
    const channel = this.channels.get(hospitalId);
    if (!channel) throw new Unprocessable(`未配置医院 ${hospitalId} 的 FHIR 服务器`);
    const failed = (error: unknown, attempt: number, willRetry: boolean) => {
      const status = clientErrorStatus(error);
      if (status !== undefined) {
        this.reads.inc({ hospital: hospitalId, resource: resourceType, outcome: status === 404 || status === 410 ? 'not-found' : 'rejected' });
        return;
      }
      const open = error instanceof BreakerOpen;
      const timedOut = isTimeout(error);
      this.reads.inc({ hospital: hospitalId, resource: resourceType, outcome: open ? 'open' : timedOut ? 'timeout' : 'error' });
      // Not the error's message: it holds the URL, and some servers use the ID number as the Patient's id.
      if (!willRetry) this.options.log.warn({ hospitalId, resourceType, attempt, open, timedOut, error: error instanceof Error ? error.name : 'unknown' }, 'hospital FHIR server read failed');
    };
    try {
      const resource = await withRetries(() => channel.breaker.fire(resourceType, id), {
        retries: channel.server.retries,
        // Idempotent read: retried after a short, jittered pause so that many desks do not retry in step; an
        // answer (404, 403) or an open breaker is final.
        backoff: RETRY_BACKOFF,
        retryable: (error) => clientErrorStatus(error) === undefined && !(error instanceof BreakerOpen),
        onFailure: failed,
      });
      this.reads.inc({ hospital: hospitalId, resource: resourceType, outcome: 'ok' });
      return resource;
    } catch (error) {
      const status = clientErrorStatus(error);
      if (status === 404 || status === 410) throw new Unprocessable(`医院 FHIR 服务器上没有 ${resourceType}/${id}`);
      if (status !== undefined) throw new Unprocessable(`医院 FHIR 服务器拒绝读取 ${resourceType}/${id}（HTTP ${status}）`);
      const open = error instanceof BreakerOpen;
      throw new Unavailable(open
        ? `医院 ${hospitalId} 的 FHIR 服务器暂不可用（熔断中），请稍后重试或随 Claim 提交 ${resourceType}`
        : `医院 ${hospitalId} 的 FHIR 服务器未能应答（${isTimeout(error) ? '超时' : '连接失败'}），请稍后重试或随 Claim 提交 ${resourceType}`, open ? 10 : 2);
    }
  }

  async stop(): Promise<void> {
    for (const channel of this.channels.values()) channel.breaker.shutdown();
  }

  private channel(hospitalId: string, server: HospitalServer): Channel {
    const client = new Client({ baseUrl: server.baseUrl, ...(server.bearerToken ? { bearerToken: server.bearerToken } : {}) });
    const read = (resourceType: RemoteType, id: string) =>
      client.read({ resourceType, id, options: { signal: AbortSignal.timeout(server.timeoutMs) } });
    const breaker = new Breaker({
      call: read,
      name: 'fhir-server',
      target: hospitalId,
      // A little above the abort, so the aborted fetch reports first; the breaker's timeout is the backstop.
      timeoutMs: server.timeoutMs + 100,
      resetMs: this.options.resetTimeoutMs ?? 10_000,
      // The server answering 404 or 403 is working: those do not count against it.
      isAnswer: (error: unknown) => clientErrorStatus(error) !== undefined,
      onState: (state) => {
        if (state === 'open') this.options.log.warn({ hospitalId }, 'hospital FHIR server breaker opened');
        if (state === 'closed') this.options.log.info({ hospitalId }, 'hospital FHIR server breaker closed');
      },
      metrics: { registry: this.options.registry, state: { name: 'gateway_fhir_server_breaker_state', help: 'Breaker of a hospital\'s FHIR server: 0 closed, 1 half-open, 2 open', label: 'hospital' } },
    });
    return { server, breaker };
  }
}
