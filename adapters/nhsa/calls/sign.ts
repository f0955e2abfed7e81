/** 9001 签到 and 9002 签退: the operator's sign_no (sign-in.ts keeps it and checks it on the other calls). */
import { NhsaFault } from '../fault.js';
import { input9001, input9002 } from '../inputs.js';
import { nationalTime } from '../settlement-2304.js';
import { chinaTime } from '../../../gateway/service/ids.js';
import { parse, type Call } from './context.js';

/** The operator of the input must be the envelope's: a sign_no is issued to, and checked against, `opter`. */
function sameOperator(opterNo: string, opter: string, path: string): void {
  if (opterNo !== opter) throw new NhsaFault(`${path}：操作员编号 ${opterNo} 与报文头 opter ${opter} 不一致`);
}

/** 9001 签到: answers the operator's sign_no. */
export const signIn: Call = async ({ envelope, signIns, clock }) => {
  const { signIn: data } = parse(input9001, envelope.input);
  sameOperator(data.opter_no, envelope.opter, 'input.signIn.opter_no');
  const sign = await signIns.signIn(envelope.fixmedins_code, envelope.opter, clock());
  return { output: { signinoutb: { sign_time: sign.sign_time, sign_no: sign.sign_no } } };
};

/** 9002 签退: the sign_no is no longer accepted. */
export const signOut: Call = async ({ envelope, signIns, clock }) => {
  const { signOut: data } = parse(input9002, envelope.input);
  sameOperator(data.opter_no, envelope.opter, 'input.signOut.opter_no');
  await signIns.signOut(envelope.fixmedins_code, envelope.opter, data.sign_no, 'input.signOut.sign_no');
  return { output: { signoutoutb: { sign_time: nationalTime(chinaTime(clock())) } } };
};
