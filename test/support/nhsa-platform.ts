/**
 * A mock 医保 platform for delivery tests: accepts POSTed nhsa.settlements messages over HTTP and
 * answers the national output. Knobs: fail with 503 (`failing`), add latency, reject ids (infcode -1).
 *
 * National calls (NHSA_DELIVERY_FORMAT=national): a body with `infno` is read as the national common input
 * and checked as the national field tables state it (msgid of 30 characters, 6-digit admdvs, the operator
 * fields, inf_time, input) — written from the tables, not from the gateway's code. 2304 settles and answers
 * a setl_id of the platform's own; 2305 takes back the setl_id it names, which must be one it answered. A msgid seen before is answered with
 * its first answer and settles nothing again (as the platform does). Knobs: `answerCodes` (infcodes answered,
 * first to last, before the normal answer), `loseAnswers` (calls processed whose answer is then lost: 503).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface NationalCall {
  infno: string;
  msgid: string;
  /** The whole common input (envelope and input). */
  envelope: Record<string, unknown>;
  input: Record<string, unknown>;
  text: string;
}

export interface MockPlatform {
  url: string;
  /** Bodies acknowledged, in arrival order (parsed JSON), with their ce-id. */
  received: Array<{ ceId: string; body: Record<string, unknown>; text: string }>;
  /** Every request seen (acknowledged or not). */
  attempts: number;
  failing: boolean;
  latencyMs: number;
  /** Native settlementIds whose messages are answered with infcode -1 (a content the platform refuses); a national call's input.data.mdtrt_id. */
  rejecting: Set<string>;
  /**
   * The platform's side of the region's security: checks a post's signature and headers and answers the
   * body in the clear, or the refusal (answered infcode -1 and kept in `refused`). Absent: taken as sent.
   */
  open: ((headers: IncomingHttpHeaders, text: string) => { text: string } | { refusal: string }) | undefined;
  refused: string[];
  /** National calls the platform settled, once per msgid, in arrival order. */
  national: NationalCall[];
  /** Every national call seen, replays of a msgid included. */
  nationalAttempts: NationalCall[];
  /** infcodes answered to the next national calls (without settling), first to last. */
  answerCodes: number[];
  /** How many of the next national calls are settled but answered 503, as if the answer were lost. */
  loseAnswers: number;
  stop(): Promise<void>;
}

const MSGID = /^.{30}$/;
const ADMDVS = /^\d{6}$/;
const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

/** What the national tables require of the common input; the first field that falls short, or null. */
function envelopeFault(call: Record<string, unknown>): string | null {
  const text = (name: string) => (typeof call[name] === 'string' ? String(call[name]) : '');
  if (!/^\d{4}$/.test(text('infno'))) return 'infno';
  if (!MSGID.test(text('msgid'))) return 'msgid';
  if (!ADMDVS.test(text('mdtrtarea_admvs'))) return 'mdtrtarea_admvs';
  if (!ADMDVS.test(text('insuplc_admdvs'))) return 'insuplc_admdvs';
  for (const name of ['recer_sys_code', 'infver', 'opter_type', 'opter', 'opter_name', 'fixmedins_code']) if (!text(name)) return name;
  if (!TIME.test(text('inf_time'))) return 'inf_time';
  if (typeof call.input !== 'object' || call.input === null) return 'input';
  return null;
}

export async function startMockPlatform(): Promise<MockPlatform> {
  const platform: Omit<MockPlatform, 'url' | 'stop'> = {
    received: [], attempts: 0, failing: false, latencyMs: 0, rejecting: new Set(), open: undefined, refused: [], national: [], nationalAttempts: [], answerCodes: [], loseAnswers: 0,
  };
  /** First answers by msgid, as the platform keeps them. */
  const answers = new Map<string, string>();
  /** The platform's setl_ids in force (answered to a 2304, not taken back by a 2305). */
  const settled = new Set<string>();
  let sequence = 0;
  const nationalAnswer = (call: NationalCall): string => {
    const known = answers.get(call.msgid);
    if (known) return known;
    const data = (call.input.data ?? {}) as Record<string, unknown>;
    if (platform.rejecting.has(String(data.mdtrt_id))) return JSON.stringify({ infcode: -1, err_msg: '结算信息校验不通过' });
    if (call.infno === '2305' && !settled.has(String(data.setl_id))) return JSON.stringify({ infcode: -1, err_msg: `结算ID ${String(data.setl_id)} 不存在或已撤销` });
    const code = platform.answerCodes.shift();
    if (code !== undefined) return JSON.stringify({ infcode: code, err_msg: code === 0 ? '' : '系统繁忙，请稍后再试' });
    platform.national.push(call);
    const setlId = `PLAT${String(++sequence).padStart(8, '0')}`;
    if (call.infno === '2304') settled.add(setlId);
    if (call.infno === '2305') settled.delete(String(data.setl_id));
    const answer = JSON.stringify({ infcode: 0, err_msg: '', inf_refmsgid: `REF${call.msgid}`, output: { setlinfo: { setl_id: setlId, mdtrt_id: data.mdtrt_id, psn_no: data.psn_no } } });
    answers.set(call.msgid, answer);
    return answer;
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      platform.attempts++;
      const ceId = String(req.headers['ce-id'] ?? '');
      setTimeout(() => {
        if (platform.failing) { res.statusCode = 503; res.end('unavailable'); return; }
        res.setHeader('content-type', 'application/json');
        const opened = platform.open ? platform.open(req.headers, Buffer.concat(chunks).toString('utf8')) : { text: Buffer.concat(chunks).toString('utf8') };
        if ('refusal' in opened) { platform.refused.push(opened.refusal); res.end(JSON.stringify({ infcode: -1, err_msg: opened.refusal })); return; }
        const { text } = opened;
        const body = JSON.parse(text) as Record<string, unknown>;
        if ('infno' in body) {
          const fault = envelopeFault(body);
          if (fault) { res.end(JSON.stringify({ infcode: -1, err_msg: `通用输入参数 ${fault} 不符合要求` })); return; }
          const call: NationalCall = { infno: String(body.infno), msgid: String(body.msgid), envelope: body, input: body.input as Record<string, unknown>, text };
          platform.nationalAttempts.push(call);
          const answer = nationalAnswer(call);
          if (platform.loseAnswers > 0 && answers.has(call.msgid)) { platform.loseAnswers--; res.statusCode = 503; res.end('answer lost'); return; }
          res.end(answer);
          return;
        }
        if (platform.rejecting.has(String(body.settlementId))) { res.end(JSON.stringify({ infcode: -1, err_msg: '结算信息校验不通过' })); return; }
        platform.received.push({ ceId, body, text });
        res.end(JSON.stringify({ infcode: 0, err_msg: '', output: {} }));
      }, platform.latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return Object.assign(platform, {
    url: `http://127.0.0.1:${port}/settlements`,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  });
}
