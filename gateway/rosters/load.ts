/** Loading a programme's roster: validate each row, keep the good ones, list the rejected with reasons. */
import { rosterRow, type RosterRow } from '../../schemas/roster.js';
import type { ProgrammeSet } from '../engine/programme-set.js';
import { fieldErrors, InvalidInput, NotFound, Unprocessable } from '../errors.js';
import { ROSTER_LIMITS } from '../../schemas/roster.js';
import type { PersonBook } from '../ledger/port.js';
import { CommitAborted } from '../ledger/errors.js';
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
    await ledger.putRoster(rosterId, rows, replaceAll);
  };
  // A replacement is one call, whatever its size: the ledger writes it in bounded batches of its own, each person's
  // rows at once, and removes the persons the load leaves out only at the end. In batches here, the first would
  // have removed everyone beyond its rows until the later ones put them back: settlements meanwhile would find
  // them off the roster, and a load cut short would leave them off.
  if (replace) await put(accepted, true);
  else for (let start = 0; start < accepted.length; start += ROSTER_BATCH_ROWS) await put(accepted.slice(start, start + ROSTER_BATCH_ROWS), false);
  return { accepted: accepted.length, rejected };
}
