/** The desk's lists as tables: settlements (a day's or a person's), a person's standing, a day's totals per payer. */
import type { DayList, SettlementSummary, Standing } from '../../../schemas/desk.js';
import { chinaMinute } from '../slip/words.js';
import { h } from './dom.js';
import { LAYER_NAMES } from './split-view.js';

/** Settlements, each number a button that opens it (`open`). */
export function summaryTable(rows: SettlementSummary[], withPatient: boolean, open: (settlementId: string) => void): HTMLTableElement {
  return h('table', { class: 'list' },
    h('thead', {}, h('tr', {}, h('th', {}, '结算号'), h('th', {}, '结算时间'), withPatient ? h('th', {}, '患者') : null, h('th', { class: 'num' }, '总费用'), h('th', { class: 'num' }, '个人支付'), h('th', {}, '状态'))),
    h('tbody', {}, ...rows.map((s) => {
      const link = h('button', { type: 'button', class: 'linkish' }, s.settlementId);
      link.addEventListener('click', () => open(s.settlementId));
      return h('tr', { class: s.status },
        h('td', {}, link), h('td', {}, chinaMinute(s.settledAt)),
        withPatient ? h('td', {}, `${s.patient.name ?? ''} ${s.patient.id}`) : null,
        h('td', { class: 'num' }, s.total), h('td', { class: 'num' }, s.patientPays),
        h('td', { class: 'state' }, s.status === 'reversed' ? '已撤销' : '已结算'));
    })));
}

/** Year-to-date standing per programme and rule. */
export function standingTable(standing: Standing): HTMLElement {
  if (standing.programmes.length === 0) return h('p', { class: 'muted' }, `${standing.year} 年度尚无累计。`);
  return h('table', { class: 'list' },
    h('thead', {}, h('tr', {}, h('th', {}, '项目'), h('th', { class: 'num' }, '已支付'), h('th', { class: 'num' }, '起付线已用'), h('th', { class: 'num' }, '封顶'), h('th', { class: 'num' }, '封顶剩余'))),
    h('tbody', {}, ...standing.programmes.flatMap((p) => p.rules.map((r) => h('tr', {},
      h('td', {}, `${p.name} · ${r.name}`, r.note ? h('div', { class: 'pg' }, r.note) : null),
      h('td', { class: 'num' }, r.paid ?? '—'),
      h('td', { class: 'num' }, r.deductibleUsed ? `${r.deductibleUsed}${r.deductible ? ` / ${r.deductible}` : ''}` : '—'),
      h('td', { class: 'num' }, r.cap ?? '不设'),
      h('td', { class: 'num' }, r.capLeft ?? '—'))))));
}

/** The day: its settlements beside the totals per payer; the waiver's payer (the hospital) by `hospitalName`. */
export function renderDay(day: DayList, hospitalName: string | undefined, open: (settlementId: string) => void): HTMLElement {
  const totals = day.totals;
  return h('div', { class: 'day-grid' },
    h('div', { class: 'panel' }, h('h3', {}, `${day.date} 结算 ${totals.settled} 笔，撤销 ${totals.reversed} 笔`),
      day.truncated ? h('p', { class: 'muted' }, `仅列出前 ${day.settlements.length} 笔；右侧合计包含全部。`) : null,
      summaryTable(day.settlements, true, open)),
    h('div', { class: 'panel' }, h('h3', {}, '按支付方合计（不含已撤销）'),
      h('table', { class: 'list', id: 'day-totals' },
        h('tbody', {},
          ...totals.byPayer.map((p) => h('tr', {}, h('td', {}, `${LAYER_NAMES[p.layer]} · ${p.payer === day.hospitalId && hospitalName ? hospitalName : p.payer}`), h('td', { class: 'num' }, p.amount))),
          h('tr', {}, h('td', {}, '个人支付'), h('td', { class: 'num' }, totals.patientPays))),
        h('tfoot', {}, h('tr', {}, h('td', {}, '医疗总费用'), h('td', { class: 'num', 'data-figure': 'day-total' }, totals.total))))));
}
