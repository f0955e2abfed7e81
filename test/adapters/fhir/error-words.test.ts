/**
 * FHIR error answers carry no library text (they carried lossless-json's and body-parser's English).
 *
 * Rule (brief; README "Problem documents": title, detail and field messages are Chinese, our own texts;
 * "logs stay English"): errors never leak internals or a library's own words to the caller. The native
 * API follows it (gateway/http/problems.ts fromParser: '请求体不是有效的 JSON' / 'JSON 语法错误',
 * '请使用 UTF-8 编码'), the FHIR adapter does not:
 *   - adapters/fhir/json-text.ts:17 puts lossless-json's error.message into the OperationOutcome;
 *   - adapters/fhir/routes.ts:208 (parserError) puts body-parser's error.message ('unsupported charset "X-NO-SUCH-CHARSET"').
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestGateway, TOKENS, type TestGateway } from '../../support/gateway.js';

interface Outcome { resourceType: string; issue: Array<{ diagnostics?: string }> }
const diagnostics = (json: unknown) => (json as Outcome).issue.map((i) => i.diagnostics ?? '').join(' | ');

describe('FHIR errors without library text', () => {
  let gw: TestGateway;
  beforeAll(async () => { gw = await startTestGateway(); });
  afterAll(async () => { await gw?.stop(); });

  it('a body that is not JSON is answered in our own words, not lossless-json\'s', async () => {
    const res = await call(gw.url, '/fhir/Claim/$submit', { raw: '{"resourceType": "Claim",', token: TOKENS.deskA, contentType: 'application/fhir+json' });
    expect(res.status).toBe(400);
    expect((res.json as Outcome).resourceType).toBe('OperationOutcome');
    // Library text: English words of the parser ("... expected ... at position 25" / "Unexpected end of json string").
    expect(diagnostics(res.json)).not.toMatch(/position|expected|unexpected|json string/i);
  });

  it('an unsupported charset is answered in our own words, not body-parser\'s', async () => {
    const res = await call(gw.url, '/fhir/Claim/$submit', { raw: '{}', token: TOKENS.deskA, contentType: 'application/fhir+json; charset=x-no-such-charset' });
    expect(res.status).toBe(400);
    expect(diagnostics(res.json)).not.toMatch(/unsupported charset/i);
    expect(diagnostics(res.json)).toContain('UTF-8');
  });
});
