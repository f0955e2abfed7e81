/**
 * `tsx test/bench/nhsa-security.ts`: the cost of the national interface's security per call — SM2 signing and
 * verifying (security/sm2.ts, BigInt), opening a sealed 2301 of 20 fee rows in sm2-sm4 (verify, nonce, SM4 decrypt)
 * and sealing its answer (SM4 encrypt, sign). Medians of several rounds; the machine's load moves them.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { MemoryStore } from '../../gateway/ledger/documents/memory.js';
import { NhsaSecurity } from '../../adapters/nhsa/security/envelope-security.js';
import { sm2PrivateKeyOf, sm2Sign, sm2Verify } from '../../adapters/nhsa/security/sm2.js';
import { HisClient, sm2KeyPair } from '../support/nhsa-his.js';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
function perCall(rounds: number, each: number, run: () => void): number {
  return median(Array.from({ length: rounds }, () => { const t = performance.now(); for (let i = 0; i < each; i++) run(); return (performance.now() - t) / each; }));
}

const gateway = sm2PrivateKeyOf(generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
const message = randomBytes(4096);
const signature = sm2Sign(gateway, message);
const sign = perCall(5, 40, () => sm2Sign(gateway, message));
const verify = perCall(5, 40, () => sm2Verify(gateway.publicKey, message, signature));

const his = sm2KeyPair();
const sm4Key = randomBytes(16);
const security = new NhsaSecurity({ mode: 'sm2-sm4', maxSkewSeconds: 300, sm4: 'sm4-ecb', sm2Id: '1234567812345678', gatewayKey: gateway, hospitals: new Map([['H1', { publicKey: sm2PrivateKeyOf(his.privateHex).publicKey, sm4Key }]]) }, new MemoryStore());
const client = new HisClient({ mode: 'sm2-sm4', privateHex: his.privateHex, sm4Key });
const rows = Array.from({ length: 20 }, (_, i) => ({ feedetl_sn: `F${i}`, mdtrt_id: 'M1', psn_no: 'P1', fee_ocur_time: '2024-03-02 10:00:00', med_list_codg: `X${i}`, medins_list_codg: `Y${i}`, det_item_fee_sumamt: 100.5, cnt: 1, pric: 100.5, chrgitm_lv: '01' }));
const inf_time = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
const calls = Array.from({ length: 200 }, (_, i) => client.seal({ infno: '2301', msgid: `M${i}`, fixmedins_code: 'H1', inf_time, input: { feedetail: rows } }).body);
let next = 0;
const openTimes: number[] = [];
for (let round = 0; round < 5; round++) {
  const t = performance.now();
  for (let i = 0; i < 40; i++) await security.open(calls[next++]!, () => undefined, new Date());
  openTimes.push((performance.now() - t) / 40);
}
const answer = JSON.stringify({ infcode: 0, err_msg: '', output: { result: rows } });
const seal = perCall(5, 40, () => security.sealAnswer(answer, 'H1'));
console.log(`nhsa security (node ${process.version}): SM2 sign ${sign.toFixed(2)} ms, verify ${verify.toFixed(2)} ms; sm2-sm4 open a 20-row 2301 ${median(openTimes).toFixed(2)} ms, seal its answer ${seal.toFixed(2)} ms (medians of 5 rounds of 40)`);
