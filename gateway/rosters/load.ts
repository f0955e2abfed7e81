/** Loading a programme's roster: validate each row, keep the good ones, list the rejected with reasons. */
import { rosterRow, type RosterRow } from '../../schemas/roster.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { fieldErrors, InvalidInput, NotFound, OutcomeUnknown, Unprocessable } from '../errors.js';
import { ROSTER_LIMITS } from '../../schemas/roster.js';
import type { PersonBook } from '../ledger/port.js';
import { CommitAborted, ledgerRefusal } from '../ledger/errors.js';
import type { CallControl } from '../call.js';

export interface RosterLoadResult { accepted: number; rejected: Array<{ row: number; errors: Array<{ path: string; message: string }> }> }

/** A merge goes to the ledger in batches of this many rows, the call's deadline checked between them. */
const ROSTER_BATCH_ROWS = 1000;

/** The roster a programme reads its eligibility from (several programmes may share one). */
export function rosterIdOf(programmes: ProgrammeSet, programmeId: string): string {
  const pack = programmes.get(programmeId);
  if (!pack) throw new NotFound(`没有项目 ${programmeId}`);
  if (!pack.eligibility.roster) {
    throw new Unprocessable(`项目 ${programmeId} 的参保资格不取自名单`, [{ path: 'programmeId', message: '该项目没有名单' }]);
  }
  return pack.eligibility.roster.id;
}

/**
 * What a load's caller is told when it could not finish: before its first write (503), or after it (504), when some
 * rows may be written; a replacement removes the persons it leaves out only at its end, so none of those is lost.
 */
export function rosterLoadTexts(replace: boolean): { nothingWritten: string; outcomeUnknown: string } {
  return {
    nothingWritten: '名单未写入任何一行；请重新上传',
    outcomeUnknown: `名单已开始写入但未能完成，部分行可能已写入${replace ? '（替换模式下：部分人员可能已是新行，不在新名单中的人员尚未移除）' : ''}；请以相同内容和相同模式重新上传（重复上传是安全的），或拆成较小的批次以合并方式上传`,
  };
}

/**
 * `rowNumbers[i]` is what a rejection of rawRows[i] is numbered (a CSV's file lines); without it, the
 * index in `rows` from 0 (JSON).
 */
export async function loadRoster(ledger: Pick<PersonBook, 'putRoster'>, rosterId: string, rawRows: readonly unknown[], replace: boolean, rowNumbers?: readonly number[], call?: CallControl): Promise<RosterLoadResult> {
  if (rawRows.length > ROSTER_LIMITS.rowsPerCall) {
    throw new InvalidInput(`每次最多 ${ROSTER_LIMITS.rowsPerCall} 行`, [{ path: 'rows', message: `共 ${rawRows.length} 行；请拆成多次以合并（merge）方式上传` }]);
  }
  const accepted: RosterRow[] = [];
  const rejected: RosterLoadResult['rejected'] = [];
  rawRows.forEach((raw, index) => {
    const parsed = rosterRow.safeParse(raw);
    if (parsed.success) accepted.push(parsed.data);
    else rejected.push({ row: rowNumbers?.[index] ?? index, errors: fieldErrors(parsed.error.issues) });
  });
  // A replacement with nothing valid in it would empty the roster and take everyone's cover away: a file
  // of wrong columns or dates is far likelier than a programme with nobody left on it.
  if (replace && accepted.length === 0) {
    throw new Unprocessable('替换模式下没有任何有效行：名单未替换', [{ path: 'rows', message: `${rejected.length} 行全部无效；请改正后重新上传（清空名单不能用替换上传完成）` }]);
  }
  // Under the call's deadline: once its caller was answered, no further batch is written, and the first
  // batch sent turns the timeout's answer from "nothing written" (503) into "outcome unknown" (504).
  const put = async (rows: readonly RosterRow[], replaceAll: boolean) => {
    if (call?.signal.aborted) throw new CommitAborted();
    if (call) call.writeSent = true;
    try {
      await ledger.putRoster(rosterId, rows, replaceAll);
    } catch (error) {
      // The ledger's Redis refused partway (down, full): a load is many commands, so some rows may be written.
      const refusal = ledgerRefusal(error);
      if (!refusal) throw error;
      throw new OutcomeUnknown(rosterLoadTexts(replace).outcomeUnknown, [{ path: 'rows', message: '请以相同内容和相同模式重新上传' }], refusal.retryAfterSeconds);
    }
  };
  // A replacement is one call, whatever its size: the ledger writes it in bounded batches of its own, each person's
  // rows at once, and removes the persons the load leaves out only at the end. In batches here, the first would
  // have removed everyone beyond its rows until the later ones put them back: settlements meanwhile would find
  // them off the roster, and a load cut short would leave them off.
  if (replace) await put(accepted, true);
  else for (let start = 0; start < accepted.length; start += ROSTER_BATCH_ROWS) await put(accepted.slice(start, start + ROSTER_BATCH_ROWS), false);
  return { accepted: accepted.length, rejected };
}
