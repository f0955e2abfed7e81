/**
 * The smaller defects of issue 8 (items 14 and 16), over real sockets: WWW-Authenticate on 401; control
 * and bidi characters refused in names; CSV rejections numbered as the file's lines; selfPayRatio only
 * on class B; a 503 that says plainly, in Chinese, what is down; GBK rosters read as GB18030.
 */
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asProblem, call, HOSPITAL_A, startTestGateway, TOKENS, type TestGateway } from '../support/gateway.js';
import { startRedis } from '../support/redis.js';
import { requestBody } from '../support/requests.js';

const CHINESE = /[\u4e00-\u9fff]/;

async function putCsv(url: string, bytes: Buffer, contentType = 'text/csv'): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${url}/v1/rosters/sanming-2024-puhui`, { method: 'PUT', headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': contentType }, body: new Uint8Array(bytes) });
  return { status: response.status, json: await response.json() };
}

describe('small defects', () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway({ RELAY_ENABLED: 'false' }); });
  afterAll(async () => { await gw?.stop(); });
  const settle = (body: unknown) => call(gw.url, '/v1/settlements/preview', { body, token: TOKENS.deskA });

  it('answers 401 with WWW-Authenticate: Bearer', async () => {
    for (const token of [null, 'unknown-token-0123456789']) {
      const r = await call(gw.url, '/v1/programmes', { token });
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    }
  });

  it.each([
    ['patient.name', { patient: { name: '张\u0000三' } }],
    ['patient.name', { patient: { name: '\u202e三张' } }],
    ['items.0.name', { items: [{ code: 'A1', name: '床位费\u202e', amount: '1.00', class: 'A' as const }] }],
    ['items.0.code', { items: [{ code: 'A\u00001', name: '床位费', amount: '1.00', class: 'A' as const }] }],
    ['items.0.name', { items: [{ code: 'A1', name: '床位\u2066费', amount: '1.00', class: 'A' as const }] }],
  ])('refuses control or bidi characters in %s (400 with its path)', async (path, overrides) => {
    const r = await settle(requestBody({ hospital: { id: HOSPITAL_A }, ...overrides }));
    expect(r.status).toBe(400);
    expect(asProblem(r.json).errors.map((e) => e.path)).toEqual([path]);
  });

  it('still accepts ordinary names (middle dot of minority names, spaces, Latin letters)', async () => {
    expect((await settle(requestBody({ hospital: { id: HOSPITAL_A }, patient: { name: '阿依古丽·买买提' } }))).status).toBe(200);
    expect((await settle(requestBody({ hospital: { id: HOSPITAL_A }, items: [{ code: 'A1', name: 'CT 检查 (平扫)', amount: '1.00', class: 'A' }] }))).status).toBe(200);
  });

  it.each(['A', 'C'] as const)('refuses selfPayRatio on a class %s item with its path', async (itemClass) => {
    const r = await settle(requestBody({ hospital: { id: HOSPITAL_A }, items: [{ code: 'X1', name: '某项目', amount: '100.00', class: 'B', selfPayRatio: '0.1' }, { code: 'X2', name: '某项目', amount: '100.00', class: itemClass, selfPayRatio: '0.1' }] }));
    expect(r.status).toBe(400);
    expect(asProblem(r.json).errors).toEqual([{ path: 'items.1.selfPayRatio', message: expect.stringMatching(CHINESE) }]);
  });

  it('numbers CSV rejections by the line of the file, header = line 1 (a quoted line break counts)', async () => {
    const csv = [
      'personId,from,to,categories,note',
      '350402199001011234,2024-01-01,2024-12-31,dibao,',
      'bad id,2024-01-01,2024-12-31,,',
      '350402199001011235,2024-01-01,2024-12-31,,"two',
      'lines"',
      '350402199001011236,2024-13-01,2024-12-31,,',
    ].join('\r\n');
    const r = await putCsv(gw.url, Buffer.from(csv, 'utf8'));
    expect(r.status).toBe(200);
    // Line 4's record spans lines 4–5 (and is refused: a line break is a control character); the next starts on line 6.
    expect((r.json as { rejected: Array<{ row: number }> }).rejected.map((x) => x.row)).toEqual([3, 4, 6]);
  });

  it('reads a GBK roster without a charset as GB18030 and says so; UTF-8 with or without a BOM as UTF-8', async () => {
    const csv = 'personId,from,to,categories,村\n350402199001011299,2024-01-01,2024-12-31,dibao,城关镇\nx,2024-01-01,2023-01-01,,\n';
    const gbk = await putCsv(gw.url, iconv.encode(csv, 'gbk'));
    expect(gbk.json).toMatchObject({ accepted: 1, rejected: [{ row: 3 }], encoding: 'gb18030' });
    const declared = await putCsv(gw.url, iconv.encode(csv, 'gbk'), 'text/csv; charset=GBK');
    expect(declared.json).toMatchObject({ accepted: 1, encoding: 'gb18030' });
    const bom = await putCsv(gw.url, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv, 'utf8')]));
    expect(bom.json).toMatchObject({ accepted: 1, rejected: [{ row: 3 }], encoding: 'utf-8' });
    expect((await putCsv(gw.url, Buffer.from(csv, 'utf8'))).json).toMatchObject({ accepted: 1, encoding: 'utf-8' });
    const lying = await putCsv(gw.url, iconv.encode(csv, 'gbk'), 'text/csv; charset=utf-8');
    expect(lying.status).toBe(400);
  });

  it('stores the GBK roster ungarbled: the village column reads 城关镇', async () => {
    const csv = 'personId,from,to,categories,村\n350402199001011298,2024-01-01,2024-12-31,dibao,城关镇\n';
    expect((await putCsv(gw.url, iconv.encode(csv, 'gbk'))).json).toMatchObject({ accepted: 1, rejected: [] });
    const [rows] = await gw.gateway.ledger.rosterRows(['sanming-2024-puhui'], ['350402199001011298']);
    const all = Object.values(rows ?? {}).flat();
    expect(all[0]?.attributes).toEqual({ 村: '城关镇' });
  });
});

describe('a 503 when Redis is down', () => {
  it('says in plain Chinese what is down, without the Redis client internals', async () => {
    const redis = await startRedis();
    const gw = await startTestGateway({ REDIS_URL: redis.url, RELAY_ENABLED: 'false' });
    try {
      await redis.stop();
      const r = await call(gw.url, '/v1/settlements', { body: requestBody({ settlementId: 'DOWN14', hospital: { id: HOSPITAL_A } }), token: TOKENS.deskA });
      expect(r.status).toBe(503);
      const problem = asProblem(r.json);
      expect(problem.code).toBe('UNAVAILABLE');
      expect(problem.detail).toMatch(CHINESE);
      expect(problem.detail).not.toMatch(/maxRetriesPerRequest|ECONNREFUSED|Connection is closed|ioredis/i);
    } finally {
      await gw.stop().catch(() => undefined);
    }
  });
});
