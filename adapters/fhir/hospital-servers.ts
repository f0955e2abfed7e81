/**
 * Reading a Patient or Coverage from a hospital's own FHIR server with fhir-kit-client. One client and
 * one opossum breaker per hospital: each read has a timeout (and is aborted at it), transient failures
 * (network, 5xx, 429, timeout) are retried a bounded number of times with jitter, and a server that
 * keeps failing opens its breaker so later claims fail at once instead of waiting. Every outcome is
 * counted; the breaker state is a gauge. Nothing here ever lets a claim hang.
 */
import { readFileSync } from 'node:fs';
import { Client } from 'fhir-kit-client';
import CircuitBreaker from 'opossum';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { Unavailable, Unprocessable } from '../../gateway/errors.js';
import type { RemoteReader, RemoteType } from './references.js';

export const hospitalServer = z.object({
  baseUrl: z.url({ protocol: /^https?$/ }),
  /** Per read attempt; the read is aborted when it passes. */
  timeoutMs: z.int().min(50).max(10_000).default(2_000),
  /** Extra attempts after a transient failure (0 = none). */
  retries: z.int().min(0).max(3).default(1),
  /** Optional bearer token for the hospital's server (kept out of logs). */
  bearerToken: z.string().min(1).optional(),
});
export const hospitalServersFile = z.record(z.string().min(1).max(32), hospitalServer);
export type HospitalServer = z.output<typeof hospitalServer>;

/** Reads and validates FHIR_SERVERS_FILE (JSON or YAML: hospitalId → { baseUrl, timeoutMs, retries }). */
export function loadHospitalServers(file: string | undefined): Record<string, HospitalServer> {
  if (!file) return {};
  const text = readFileSync(file, 'utf8');
  const raw: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  const parsed = hospitalServersFile.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The longest pause before a retry (50 ms + jitter up to 100 ms × attempt, attempts ≤ 3). */
export const RETRY_PAUSE_MAX_MS = 350;

const BREAKER_STATE = { closed: 0, halfOpen: 1, open: 2 } as const;

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

interface Channel { server: HospitalServer; breaker: CircuitBreaker<[RemoteType, string], unknown> }

export class HospitalServers implements RemoteReader {
  private readonly channels = new Map<string, Channel>();
  private readonly reads: Counter<'hospital' | 'resource' | 'outcome'>;
  private readonly state: Gauge<'hospital'>;

  constructor(private readonly options: HospitalServersOptions) {
    this.reads = new Counter({ name: 'gateway_fhir_server_reads_total', help: 'Reads from hospitals\' FHIR servers by outcome (ok, not-found, rejected, error, timeout, open)', labelNames: ['hospital', 'resource', 'outcome'] as const, registers: [options.registry] });
    this.state = new Gauge({ name: 'gateway_fhir_server_breaker_state', help: 'Breaker of a hospital\'s FHIR server: 0 closed, 1 half-open, 2 open', labelNames: ['hospital'] as const, registers: [options.registry] });
    for (const [hospitalId, server] of Object.entries(options.servers)) this.channels.set(hospitalId, this.channel(hospitalId, server));
  }

  baseUrlOf(hospitalId: string): string | undefined {
    return this.channels.get(hospitalId)?.server.baseUrl.replace(/\/+$/, '');
  }

  async read(hospitalId: string, resourceType: RemoteType, id: string): Promise<unknown> {
    const channel = this.channels.get(hospitalId);
    if (!channel) throw new Unprocessable(`未配置医院 ${hospitalId} 的 FHIR 服务器`);
    const { retries } = channel.server;
    for (let attempt = 0; ; attempt++) {
      try {
        const resource = await channel.breaker.fire(resourceType, id);
        this.reads.inc({ hospital: hospitalId, resource: resourceType, outcome: 'ok' });
        return resource;
      } catch (error) {
        const status = clientErrorStatus(error);
        if (status !== undefined) {
          this.reads.inc({ hospital: hospitalId, resource: resourceType, outcome: status === 404 || status === 410 ? 'not-found' : 'rejected' });
          if (status === 404 || status === 410) throw new Unprocessable(`医院 FHIR 服务器上没有 ${resourceType}/${id}`);
          throw new Unprocessable(`医院 FHIR 服务器拒绝读取 ${resourceType}/${id}（HTTP ${status}）`);
        }
        const open = channel.breaker.opened || (error as { code?: unknown }).code === 'EOPENBREAKER';
        const timedOut = (error as { code?: unknown }).code === 'ETIMEDOUT' || (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'));
        this.reads.inc({ hospital: hospitalId, resource: resourceType, outcome: open ? 'open' : timedOut ? 'timeout' : 'error' });
        if (open || attempt >= retries) {
          // Not the error's message: it holds the URL, and some servers use the ID number as the Patient's id.
          this.options.log.warn({ hospitalId, resourceType, attempt, open, timedOut, error: error instanceof Error ? error.name : 'unknown' }, 'hospital FHIR server read failed');
          throw new Unavailable(open
            ? `医院 ${hospitalId} 的 FHIR 服务器暂不可用（熔断中），请稍后重试或随 Claim 提交 ${resourceType}`
            : `医院 ${hospitalId} 的 FHIR 服务器未能应答（${timedOut ? '超时' : '连接失败'}），请稍后重试或随 Claim 提交 ${resourceType}`, open ? 10 : 2);
        }
        // Idempotent read: retry after a short, jittered pause so that many desks do not retry in step.
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 100 * (attempt + 1))));
      }
    }
  }

  async stop(): Promise<void> {
    for (const channel of this.channels.values()) channel.breaker.shutdown();
  }

  private channel(hospitalId: string, server: HospitalServer): Channel {
    const client = new Client({ baseUrl: server.baseUrl, ...(server.bearerToken ? { bearerToken: server.bearerToken } : {}) });
    const read = (resourceType: RemoteType, id: string) =>
      client.read({ resourceType, id, options: { signal: AbortSignal.timeout(server.timeoutMs) } });
    const breaker = new CircuitBreaker(read, {
      // A little above the abort, so the aborted fetch reports first; opossum's timeout is the backstop.
      timeout: server.timeoutMs + 100,
      resetTimeout: this.options.resetTimeoutMs ?? 10_000,
      errorThresholdPercentage: 50,
      volumeThreshold: 3,
      // The server answering 404 or 403 is working: those do not count against it.
      errorFilter: (error: unknown) => clientErrorStatus(error) !== undefined,
    });
    const set = (value: number) => this.state.set({ hospital: hospitalId }, value);
    set(BREAKER_STATE.closed);
    breaker.on('open', () => { set(BREAKER_STATE.open); this.options.log.warn({ hospitalId }, 'hospital FHIR server breaker opened'); });
    breaker.on('halfOpen', () => set(BREAKER_STATE.halfOpen));
    breaker.on('close', () => { set(BREAKER_STATE.closed); this.options.log.info({ hospitalId }, 'hospital FHIR server breaker closed'); });
    return { server, breaker };
  }
}
