/**
 * A platform that refuses a message often echoes it in its refusal: the refusal becomes the dead
 * letter's reason, which is logged, stored in nhsa.deliveries, put in the DLQ letter's problem and
 * answered by GET /v1/nhsa/dead-letters. None of them may carry the person's ID number or name in clear.
 */
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DELIVERIES, NhsaDelivery } from '../../../adapters/nhsa/delivery.js';
import { createLogger } from '../../../gateway/log.js';
import { MemoryStore } from '../../../gateway/ledger/documents/memory.js';
import { MemoryBus } from '../../../gateway/stream/memory-bus.js';
import type { InboundMessage } from '../../../gateway/stream/bus.js';
import { deadLetter } from '../../../schemas/messages.js';
import { call, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';
import { requestBody } from '../../support/requests.js';

/** A platform answering every message with what `answer` makes of its text. */
async function refusingPlatform(answer: (text: string) => { status: number; text: string }): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const refused = answer(Buffer.concat(chunks).toString('utf8'));
      res.statusCode = refused.status;
      res.setHeader('content-type', 'application/json');
      res.end(refused.text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/settlements`,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('a refusal that echoes the message', () => {
  let stops: Array<() => Promise<void>> = [];
  afterEach(async () => { for (const stop of stops.reverse()) await stop(); stops = []; });

  it("keeps ID numbers out of a dead letter's reason when the platform echoes the message in its refusal", async () => {
    const platform = await refusingPlatform((text) => ({ status: 400, text: `bad message: ${text.slice(text.indexOf('"personId"'), text.indexOf('"personId"') + 60)}` }));
    stops.push(platform.stop);
    const gw: TestGateway = await startTestGateway({
      NHSA_PLATFORM_URL: platform.url, NHSA_BREAKER_RESET_MS: '200', NHSA_DELIVERY_BACKOFF_MS: '5', NHSA_DELIVERY_BACKOFF_MAX_MS: '50', NHSA_DELIVERY_TIMEOUT_MS: '2000', NHSA_DELIVERY_MAX_ATTEMPTS: '3',
    });
    stops.push(gw.stop);
    const person = '990100198001016002';
    expect((await call(gw.url, '/v1/settlements', { body: requestBody({ settlementId: 'ZY-PII-1', patient: { id: person } }), token: TOKENS.deskA })).status).toBe(201);
    const listed = async () => ((await call(gw.url, '/v1/nhsa/dead-letters', { token: TOKENS.admin })).json as { dead: Array<{ id: string; reason: string }> }).dead;
    await until(async () => (await listed()).length === 1, 'the dead letter');
    const [letter] = await listed();
    expect(letter!.reason).toContain('bad message');
    expect(letter!.reason).not.toContain(person);
  });

  it('masks the ID number, the certificate number and the name in the log, the store and the letter, also in an infcode refusal', async () => {
    const person = '35040219900101123X';
    const passport = 'E12345678';
    const platform = await refusingPlatform(() => ({ status: 200, text: JSON.stringify({ infcode: -1, err_msg: `人员 王小明（证件 ${passport}，身份证 ${person}）校验不通过` }) }));
    stops.push(platform.stop);
    const lines: string[] = [];
    const log = createLogger('info', new Writable({ write(chunk: Buffer, _encoding, done) { lines.push(chunk.toString('utf8')); done(); } }));
    const store = new MemoryStore();
    const delivery = new NhsaDelivery({
      bus: new MemoryBus(), store, topic: 'nhsa.settlements', dlqTopic: 'nhsa.settlements.dlq', groupId: 'nhsa-delivery', url: platform.url,
      timeoutMs: 2_000, maxAttempts: 3, backoffInitialMs: 5, backoffMaxMs: 50, breakerResetMs: 200, registry: new Registry(), log,
    });
    stops.push(() => delivery.stop());
    const message: InboundMessage = {
      topic: 'nhsa.settlements', partition: 0, offset: '0', key: Buffer.from(person), headers: { ce_id: 'evt-pii-2.nhsa' },
      value: Buffer.from(JSON.stringify({ personId: person, settlementId: 'ZY-PII-2', kind: 'settled', setlinfo: { certno: passport, psn_no: '99000000000000008888', psn_name: '王小明' } })),
    };
    const [record] = await delivery.handle([message]);
    const detail = deadLetter.parse(JSON.parse(record!.value)).problem.detail ?? '';
    const stored = (await delivery.deadLetters())[0]!.reason;
    expect(detail).toBe('医保平台拒收：infcode -1 人员 王**（证件 E******78，身份证 35************123X）校验不通过');
    expect(stored).toBe(detail);
    for (const text of [detail, stored, (await store.get(DELIVERIES, 'evt-pii-2.nhsa'))!.replace(/"original":.*$/, ''), ...lines]) {
      for (const personal of [person, passport, '王小明']) expect(text).not.toContain(personal);
    }
    expect(lines.some((l) => l.includes('dead-lettered'))).toBe(true);
  });
});
