/** What every transaction is given, and the checks they share. */
import type * as z from 'zod';
import type { RosterRow } from '../../../schemas/roster.js';
import type { LedgerPort } from '../../../gateway/ledger/port.js';
import type { CallControl } from '../../../gateway/call.js';
import type { SettlementService } from '../../../gateway/service/settlements.js';
import { issuesFault, NhsaFault } from '../fault.js';
import type { Envelope } from '../inputs.js';
import type { Mapping2304Options } from '../settlement-2304.js';
import type { SignIns } from '../sign-in.js';
import type { Answers, Undo } from '../answers.js';
import type { Classifier } from '../catalogue/classify.js';
import type { Stay, Stays } from '../stays.js';
import type { Files } from '../files.js';

export interface CallContext {
  envelope: Envelope;
  stays: Stays;
  service: SettlementService;
  ledger: LedgerPort;
  mapping: Mapping2304Options;
  /** Fee rows classified by the 医保目录 and the hospital's 3301 目录对照 (or by the row extension when no catalogue is loaded). */
  classifier: Classifier;
  signIns: SignIns;
  /** nhsa.msgid: the answers stored under each msgid (2601 reads and marks them). */
  answers: Answers;
  /** nhsa.files: what 9101 uploaded and 3202 produced, for 9102. */
  files: Files;
  clock: () => Date;
  /** What HOSPITALS_FILE says of a hospital (2401 without the gateway's ext node). */
  hospitalOf(fixmedinsCode: string): { level?: number | undefined; drgPublic?: boolean | undefined } | undefined;
  /** The person's rows on every roster the gateway holds (categories for a 2304 whose 2401 sent none; 1101). */
  rosterRows(personId: string): Promise<RosterRow[]>;
  /** The HTTP call's deadline (`req.call`): a settlement or reversal it starts commits nothing once the call was answered. */
  call: CallControl | undefined;
}

export interface CallAnswer {
  output: unknown;
  warn_msg?: string;
  /** What 2601 冲正 needs to take this call back. */
  undo?: Undo;
  /** 9102: the answer is this file's bytes, not the common output (as the platform streams a download). */
  file?: { filename: string; content: Buffer };
}
export type Call = (ctx: CallContext) => Promise<CallAnswer>;

export function parse<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw issuesFault(parsed.error.issues, ['input']);
  return parsed.data;
}

export function samePerson(stay: Stay, psnNo: string, path: string): void {
  if (stay.mdtrtinfo.psn_no !== psnNo) throw new NhsaFault(`${path}：人员编号与就诊登记（2401）的人员编号不一致`);
}

function activeSettlement(stay: Stay) {
  return stay.settlements.find((s) => s.status === 'settled');
}

/** The day a stay's rows classify on once it is discharged (2402), else undefined (each row on its own day). */
export const dischargeDayOf = (stay: Stay): string | undefined => stay.dscginfo?.endtime.slice(0, 10);

export function notSettled(stay: Stay, path: string): void {
  const active = activeSettlement(stay);
  if (active) throw new NhsaFault(`${path}：该就诊已结算（setl_id=${active.setl_id}），请先撤销结算（2305）`);
}
