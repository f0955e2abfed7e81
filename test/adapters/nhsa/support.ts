/** Helpers for the national-interface tests: envelopes, calls over the socket, answers read losslessly. */
import { call, HOSPITAL_A, TOKENS } from '../../support/gateway.js';
import { readNational } from '../../../adapters/nhsa/wire.js';

let sequence = 0;

export interface EnvelopeOptions { msgid?: string; hospital?: string; area?: string; insuplc?: string; token?: string; opter?: string; signNo?: string }

export function envelope(infno: string, input: unknown, o: EnvelopeOptions = {}) {
  const hospital = o.hospital ?? HOSPITAL_A;
  return {
    infno, msgid: o.msgid ?? `${hospital}20240310${String(++sequence).padStart(8, '0')}`.slice(0, 30),
    mdtrtarea_admvs: o.area ?? '990100', insuplc_admdvs: o.insuplc ?? '990100', recer_sys_code: 'HIS01', dev_no: '', dev_safe_info: '',
    cainfo: '', signtype: '', infver: 'V1.0', opter_type: '1', opter: o.opter ?? 'SF001', opter_name: '收费员', inf_time: '2024-03-10 09:00:00',
    fixmedins_code: hospital, fixmedins_name: '演示医院', sign_no: o.signNo ?? '', input,
  };
}

/** The common output, numbers as their exact text (amounts compare as "1500.00"). */
export interface Answer { infcode: string; inf_refmsgid: string; refmsg_time: string; respond_time: string; err_msg: string; warn_msg: string; output: Record<string, unknown> }

export async function nhsa(url: string, infno: string, input: unknown, o: EnvelopeOptions = {}) {
  const body = envelope(infno, input, o);
  const response = await call(url, `/nhsa/${infno}`, { body, token: o.token ?? TOKENS.deskA });
  return { ...response, msgid: body.msgid, answer: readNational(response.text) as Answer };
}

export async function nhsaRaw(url: string, infno: string, raw: string, token: string = TOKENS.deskA) {
  const response = await call(url, `/nhsa/${infno}`, { raw, token });
  return { ...response, answer: readNational(response.text) as Answer };
}
