/**
 * One module per group of transactions (infno): parse its input, act through the stay store and the
 * same settlement service as /v1, answer its output. The envelope, auth and msgid replay are the router's.
 */
import type { Call } from './context.js';
import { revokeMapping, uploadMapping } from './catalogue.js';
import { correct } from './correction.js';
import { revokeFees, uploadFees } from './fees.js';
import { preSettle, reverse, settle } from './settlement.js';
import { queryFees, queryPerson, querySettlement, queryStays } from './queries.js';
import { signIn, signOut } from './sign.js';
import { downloadFile, uploadFile } from './files.js';
import { statementDetail, statementTotals } from './statements.js';
import { admit, cancelAdmission, cancelDischarge, discharge } from './stay.js';

export type { Call, CallAnswer, CallContext } from './context.js';

/** The transactions the gateway answers; any other infno is answered -1. */
export const CALLS: Record<string, { call: Call; roles: ReadonlyArray<'desk' | 'admin' | 'auditor'>; name: string }> = {
  '9001': { call: signIn, roles: ['desk', 'admin', 'auditor'], name: '签到' },
  '9002': { call: signOut, roles: ['desk', 'admin', 'auditor'], name: '签退' },
  '1101': { call: queryPerson, roles: ['desk'], name: '人员信息获取' },
  '2401': { call: admit, roles: ['desk'], name: '入院办理' },
  '2301': { call: uploadFees, roles: ['desk'], name: '住院费用明细上传' },
  '2302': { call: revokeFees, roles: ['desk'], name: '住院费用明细撤销' },
  '2402': { call: discharge, roles: ['desk'], name: '出院办理' },
  '2404': { call: cancelDischarge, roles: ['desk'], name: '出院撤销' },
  '2405': { call: cancelAdmission, roles: ['desk'], name: '入院撤销' },
  '2303': { call: preSettle, roles: ['desk'], name: '住院预结算' },
  '2304': { call: settle, roles: ['desk'], name: '住院结算' },
  '2305': { call: reverse, roles: ['desk'], name: '住院结算撤销' },
  '2601': { call: correct, roles: ['desk'], name: '冲正交易' },
  '5201': { call: queryStays, roles: ['desk', 'admin', 'auditor'], name: '就诊信息查询' },
  '5203': { call: querySettlement, roles: ['desk', 'admin', 'auditor'], name: '结算信息查询' },
  '5204': { call: queryFees, roles: ['desk', 'admin', 'auditor'], name: '费用明细查询' },
  '3201': { call: statementTotals, roles: ['desk', 'admin', 'auditor'], name: '医药机构费用结算对总账' },
  '3301': { call: uploadMapping, roles: ['desk', 'admin'], name: '目录对照上传' },
  '3302': { call: revokeMapping, roles: ['desk', 'admin'], name: '目录对照撤销' },
  '3202': { call: statementDetail, roles: ['desk', 'admin', 'auditor'], name: '医药机构费用结算对明细账' },
  '9101': { call: uploadFile, roles: ['desk', 'admin', 'auditor'], name: '文件上传' },
  '9102': { call: downloadFile, roles: ['desk', 'admin', 'auditor'], name: '文件下载' },
};
