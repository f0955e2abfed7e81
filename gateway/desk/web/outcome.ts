/**
 * What a failed 结算 means for the money, in the clerk's words: refused (nothing recorded, fix and preview
 * again), not recorded (503: send again), or unknown (no answer, a timeout, 504 OUTCOME_UNKNOWN: it may be
 * recorded). Only the same settlement number, sent again, tells; a new number could settle the patient twice.
 */
import type { Problem } from '../../../schemas/problem.js';
import { h } from './dom.js';

export type SettleOutcome = 'refused' | 'notRecorded' | 'unknown';

/**
 * 503 is the gateway's "nothing was committed". No answer at all (status 0: network, the desk's own time
 * limit), 504, a proxy's 502 and a 500 may each have come after the commit. Any other answer refused the bill.
 */
export function settleOutcomeOf(problem: Problem): SettleOutcome {
  if (problem.status === 503) return 'notRecorded';
  if (problem.status === 0 || problem.status === 500 || problem.status === 502 || problem.status === 504) return 'unknown';
  return 'refused';
}

/** The bill whose 结算 got no final answer: what 重新结算 sends again, unchanged, under its number. */
export interface Unfinished { outcome: Exclude<SettleOutcome, 'refused'>; settlementId: string; reason: string }

/** The message beside the buttons, with its 重新结算 button (`retry`). */
export function unfinishedNotice(unfinished: Unfinished, retry: () => void): HTMLElement {
  const { settlementId, reason } = unfinished;
  const text = unfinished.outcome === 'unknown'
    ? `结算结果未知（${reason}）：这笔费用可能已经记账，也可能没有。请按「重新结算」用同一结算号 ${settlementId} 再次提交：已记账的不会重复记账，会直接显示结算结果；未记账的这次记账。不要按「下一位」换新结算号重结，否则可能重复结算。`
    : `未记账（${reason}）：这笔费用没有记账。请稍候按「重新结算」用同一结算号 ${settlementId} 再次提交。`;
  const again = h('button', { type: 'button', id: 'do-retry', class: 'primary' }, `重新结算（同一结算号 ${settlementId}）`);
  again.addEventListener('click', retry);
  return h('div', { class: `notice ${unfinished.outcome}`, 'data-outcome': unfinished.outcome },
    h('p', {}, h('b', {}, unfinished.outcome === 'unknown' ? '结算结果未知' : '未记账'), ` 结算号 ${settlementId}`),
    h('p', {}, text),
    again);
}

/** A settle the gateway refused (nothing recorded): said beside the buttons too, the fields marked in the form. */
export const refusedNotice = (settlementId: string, title: string): HTMLElement =>
  h('div', { class: 'notice refused', 'data-outcome': 'refused' }, h('p', {}, h('b', {}, '未记账'), ` 结算号 ${settlementId}：${title}。请按左侧提示修改后重新预结算。`));

/** Why 下一位 should not drop this bill silently, or null when nothing is lost by it. */
export function dropWarning(state: { inFlight: string | null; unfinished: Unfinished | null; started: boolean; settled: boolean }): string | null {
  if (state.inFlight) return `结算号 ${state.inFlight} 的结算请求还没有答复，可能已经记账。换下一位后若用新结算号为这位患者再结算，可能重复结算。`;
  const unfinished = state.unfinished;
  if (unfinished?.outcome === 'unknown') return `结算号 ${unfinished.settlementId} 的结算结果未知，可能已经记账。请先按「重新结算」（同一结算号）查明；换下一位后若用新结算号为这位患者再结算，可能重复结算。`;
  if (unfinished) return `结算号 ${unfinished.settlementId} 未记账。放弃后这位患者需重新录入、重新结算。`;
  if (state.started && !state.settled) return '当前患者的费用尚未结算，放弃后需重新录入。';
  return null;
}
