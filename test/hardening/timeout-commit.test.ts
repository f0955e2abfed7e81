/**
 * A 503 means nothing was committed (issue 8, item 7). With Redis paused by SIGSTOP past the request
 * timeout, settles on two gateways sharing it are answered 503; once Redis resumes, none of them may
 * commit behind that answer. A write that had already left for the ledger is answered OUTCOME_UNKNOWN
 * instead, and the retry under the same settlement id tells the truth.
 */
import { Agent, createServer, request, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.js';
import { createApp, type AppExtension } from '../../gateway/http/app.js';
import { bindRoutes, routeOf } from '../../gateway/http/route-table.js';
import { DEV_CLIENT } from '../../gateway/http/auth.js';
import { createMetrics } from '../../gateway/http/metrics.js';
import { MemoryLedger } from '../../gateway/ledger/memory.js';
import type { CommitOutcome, OutboxEvent, PersonReading, NewSettlement, WriteGuard } from '../../gateway/ledger/port.js';
import { loadProgrammes } from '../../gateway/programmes/load.js';
import { SettlementService } from '../../gateway/service/settlements.js';
import { asProblem, asSplit, call, HOSPITAL_A, HOSPITAL_B, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { requestBody } from '../support/requests.js';

const REQUEST_TIMEOUT_MS = 1_000;

describe('Redis paused (SIGSTOP) past the request timeout, two gateways', () => {
  let redis: TestRedis;
  let gateways: TestGateway[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    gateways = await Promise.all([0, 1].map(() => startTestGateway({ REDIS_URL: redis.url, RELAY_ENABLED: 'false', REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) })));
  });
  afterAll(async () => {
    try { process.kill(redis.pid, 'SIGCONT'); } catch { /* already gone */ }
    for (const gw of gateways) await gw.stop().catch(() => undefined);
    await redis?.stop();
  });

  it('commits nothing behind a 503; whatever else it answered says OUTCOME_UNKNOWN, and the same id then tells the truth', async () => {
    const bodies = Array.from({ length: 8 }, (_, i) => requestBody({
      settlementId: `PAUSE${i}`,
      hospital: { id: i % 2 === 0 ? HOSPITAL_A : HOSPITAL_B },
      // Two settlements per person: the second waits in the per-person queue behind the first.
      patient: { id: `99010019600101${String(Math.floor(i / 2)).padStart(4, '0')}` },
    }));
    const tokenOf = (i: number) => (i % 2 === 0 ? TOKENS.deskA : TOKENS.deskB);
    // Warm the connections, so the pause catches settlements and not the connection handshake.
    for (const gw of gateways) expect((await call(gw.url, '/readyz', { token: null })).status).toBe(200);

    process.kill(redis.pid, 'SIGSTOP');
    let answers: Array<{ status: number; json: unknown }>;
    try {
      answers = await Promise.all(bodies.map((b, i) => call(gateways[i % 2]!.url, '/v1/settlements', { body: b, token: tokenOf(i) })));
    } finally {
      process.kill(redis.pid, 'SIGCONT');
    }
    for (const a of answers) expect([503, 504]).toContain(a.status);
    for (const a of answers) if (a.status === 504) expect(asProblem(a.json).code).toBe('OUTCOME_UNKNOWN');
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);

    // Redis is back: let whatever was left in flight on the gateways run its course.
    for (const gw of gateways) {
      for (let i = 0; i < 100 && (await call(gw.url, '/readyz', { token: null })).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    for (const [i, b] of bodies.entries()) {
      const read = await call(gateways[0]!.url, `/v1/settlements/${b.hospital.id}/${b.settlementId}`, { token: TOKENS.admin });
      if (answers[i]!.status === 503) expect(read.status, `settlement ${b.settlementId} was answered 503 but committed`).toBe(404);
      const retry = await call(gateways[(i + 1) % 2]!.url, '/v1/settlements', { body: b, token: tokenOf(i) });
      expect(retry.status).toBe(read.status === 404 ? 201 : 200);
    }
  }, 30_000);
});

/** A ledger whose commit is applied at once but whose answer is held back: the write left, the reply did not come in time. */
class SlowAnswerLedger extends MemoryLedger {
  release: () => void = () => undefined;
  private readonly held = new Promise<void>((resolve) => { this.release = resolve; });
  override async commit(record: NewSettlement, expectedVersion: number, event: OutboxEvent, guard?: WriteGuard): Promise<CommitOutcome> {
    const outcome = await super.commit(record, expectedVersion, event, guard);
    await this.held;
    return outcome;
  }
}

/** A ledger whose reads wait until released: the call times out before it could compute, let alone commit. */
class HeldReadLedger extends MemoryLedger {
  release: () => void = () => undefined;
  private readonly held = new Promise<void>((resolve) => { this.release = resolve; });
  override async readPerson(personId: string, rosterIds: readonly string[]): Promise<PersonReading> {
    await this.held;
    return super.readPerson(personId, rosterIds);
  }
}

/** The whole app on a held ledger, with a 300 ms request timeout; an extension route settles passing its call along (a required argument of settle). */
async function startSlowApp<L extends MemoryLedger & { release(): void }>(ledger: L): Promise<{ url: string; ledger: L; stop(): Promise<void> }> {
  const programmes = loadProgrammes();
  const service = new SettlementService({ ledger, programmes });
  const extension: AppExtension = {
    name: 'adapter-like',
    v1: bindRoutes([routeOf<undefined>()({
      method: 'post', path: '/adapter/settle', summary: 'settles as an adapter does', access: { roles: ['desk'] }, answers: {}, problems: {},
      body: { read: 'json', content: { 'application/json': { ref: 'SettlementRequest' } } },
      handler: () => async ({ body, req, res }) => {
        const { split } = await service.settle(body, req.call); // as the nhsa and FHIR adapters do
        res.status(201).json(split);
      },
    })], undefined),
  };
  const app = createApp({
    service, ledger, programmes, clients: [DEV_CLIENT], metrics: createMetrics(), extensions: [extension],
    log: createLogger('silent'), bodyLimitBytes: 1 << 20, requestTimeoutMs: 300, readiness: [], version: 'test',
  });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { url, ledger, stop: async () => { ledger.release(); await new Promise((resolve) => server.close(resolve)); } };
}

describe('a commit sent whose answer comes after the request timeout', () => {
  it.each(['/v1/settlements', '/v1/adapter/settle'])('%s answers OUTCOME_UNKNOWN (504, Retry-After), never 503; the retry under the same id answers the stored split', async (path) => {
    const app = await startSlowApp(new SlowAnswerLedger());
    try {
      const b = requestBody({ settlementId: 'SLOW1' });
      const answer = await call(app.url, path, { body: b, token: 'dev-token' });
      expect(answer.status).toBe(504);
      expect(answer.headers.get('retry-after')).toBeTruthy();
      expect(asProblem(answer.json)).toMatchObject({ code: 'OUTCOME_UNKNOWN' });
      app.ledger.release();
      const retry = await call(app.url, '/v1/settlements', { body: b, token: 'dev-token' });
      expect(retry.status).toBe(200);
      expect(asSplit(retry.json).status).toBe('settled');
    } finally {
      await app.stop();
    }
  });
});

/** One request on the agent's socket: its status, and which local port (so which connection) carried it. */
function onSocket(agent: Agent, url: string, path: string, body?: unknown): Promise<{ status: number; localPort: number | undefined }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(`${url}${path}`, {
      agent, method: text ? 'POST' : 'GET',
      headers: { authorization: 'Bearer dev-token', ...(text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {}) },
    }, (res) => {
      const localPort = res.socket.localPort;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, localPort }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

describe('a call answered 503 by the timeout while its work goes on', () => {
  it('keeps its keep-alive connection: the work\'s late refusal to commit is no crash, and the next request on that socket is answered', async () => {
    const app = await startSlowApp(new HeldReadLedger());
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const b = requestBody({ settlementId: 'HELD1' });
      const first = await onSocket(agent, app.url, '/v1/settlements', b);
      expect(first.status).toBe(503);
      // The held read completes now; the service then refuses to commit (CommitAborted), after the answer.
      app.ledger.release();
      await new Promise((resolve) => setTimeout(resolve, 100));
      const next = await onSocket(agent, app.url, '/healthz');
      expect(next).toEqual({ status: 200, localPort: first.localPort });
      expect(await app.ledger.getSettlement(b.hospital.id, b.settlementId)).toBeNull();
    } finally {
      agent.destroy();
      await app.stop();
    }
  });
});
