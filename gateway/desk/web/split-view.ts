/** A split as the clerk reads it: figures, a stacked bar of who pays what, the lines in waterfall order with their reasons, cash benefits apart. */
import type { Split } from '../../../schemas/settlement.js';
import { amountInWords, chinaMinute } from '../slip/words.js';
import { fenOf, h, yuan } from './dom.js';

export const LAYER_NAMES = { basic: '基本医保', majorIllness: '大病保险', waiver: '医院减免', aid: '医疗救助', supplementary: '补充保险' } as const;
const STATUS = { preview: '预结算（未记账）', settled: '已结算', reversed: '已撤销' } as const;
const BENEFIT_NAMES: Record<string, string> = { accidentHospitalAllowance: '意外住院津贴', accidentMedical: '意外医疗保险金' };

export interface SplitNames { hospitalName?: string }

export function renderSplit(split: Split, names: SplitNames = {}): HTMLElement {
  const totalFen = fenOf(split.total);
  const payerName = (payer: string) => (payer === split.hospitalId && names.hospitalName ? names.hospitalName : payer);
  const percent = (fen: number) => (totalFen === 0 ? 0 : (fen * 100) / totalFen);
  const paidByOthersFen = split.lines.reduce((sum, l) => sum + fenOf(l.amount), 0);

  const segments = [
    ...split.lines.filter((l) => fenOf(l.amount) > 0).map((l) => ({ cls: `sw-${l.layer}`, label: `${LAYER_NAMES[l.layer]} ${payerName(l.payer)}`, amount: l.amount, fen: fenOf(l.amount) })),
    { cls: 'sw-patient', label: '个人支付', amount: split.patientPays, fen: fenOf(split.patientPays) },
  ];
  const bar = h('div', { class: 'bar', role: 'img', 'aria-label': segments.map((s) => `${s.label} ${s.amount} 元`).join('，') },
    ...segments.map((s) => { const span = h('span', { class: s.cls, title: `${s.label} ${s.amount}` }); span.style.width = `${percent(s.fen)}%`; return span; }));
  const legend = h('div', { class: 'legend' }, ...segments.map((s) => h('span', {}, h('i', { class: s.cls }), `${s.label} ${s.amount}`)));

  const body = h('tbody');
  split.lines.forEach((line, i) => {
    const explainId = `explain-${split.gatewayId}-${i}`;
    const button = h('button', { type: 'button', class: 'why', 'aria-expanded': 'false', 'aria-controls': explainId }, '说明');
    const explain = h('tr', { class: 'explain', id: explainId, hidden: true }, h('td', { colspan: '4' }, h('ol', {}, ...line.explanation.map((e) => h('li', {}, e)))));
    button.addEventListener('click', () => {
      const open = explain.hidden;
      explain.hidden = !open;
      button.setAttribute('aria-expanded', String(open));
    });
    body.append(
      h('tr', { 'data-layer': line.layer },
        h('td', {}, h('i', { class: `sw-${line.layer}`, style: 'display:inline-block;width:8px;height:8px;margin-right:4px' }), LAYER_NAMES[line.layer]),
        h('td', {}, payerName(line.payer), line.mode === 'given' ? h('div', { class: 'pg' }, '医保平台已结算') : null),
        h('td', { class: `amount${line.amount === '0.00' ? ' zero' : ''}`, 'data-amount': line.layer }, line.amount),
        h('td', {}, button)),
      explain);
  });
  body.append(h('tr', { class: 'patient-row' }, h('td', { colspan: '2' }, '个人支付'), h('td', { class: 'amount', 'data-amount': 'patient' }, split.patientPays), h('td', {})));

  const benefits = split.benefits.length === 0 ? null : h('div', { class: 'benefits' },
    h('h3', {}, '现金给付（另行支付给患者，不冲减本次费用）'),
    h('table', { class: 'lines' }, h('tbody', {}, ...split.benefits.map((b) => h('tr', {},
      h('td', {}, BENEFIT_NAMES[b.kind] ?? b.kind), h('td', { class: 'pg' }, b.programme), h('td', { class: 'amount' }, b.amount))))));

  const when = split.status === 'reversed' && split.reversedAt ? `撤销于 ${chinaMinute(split.reversedAt)}` : split.settledAt ? `结算于 ${chinaMinute(split.settledAt)}` : '';
  return h('div', { class: 'split', 'data-status': split.status, 'data-settlement': split.settlementId },
    h('div', { class: 'status' }, h('span', {}, h('span', { class: `badge ${split.status}` }, STATUS[split.status]), ` 结算号 ${split.settlementId}`), h('span', { class: 'muted' }, when)),
    split.reversal ? h('div', { class: 'reversal-note' }, `撤销原因：${split.reversal.reason ?? '—'}（操作员 ${split.reversal.operator ?? '—'}）`) : null,
    h('div', { class: 'figures' },
      h('div', {}, '医疗总费用', h('b', { 'data-figure': 'total' }, split.total)),
      h('div', {}, '各方支付', h('b', { 'data-figure': 'paid' }, yuan(paidByOthersFen))),
      h('div', { class: 'patient' }, '个人支付', h('b', { 'data-figure': 'patientPays' }, split.patientPays))),
    h('div', { class: 'muted' }, `个人支付大写：${amountInWords(fenOf(split.patientPays))}`),
    bar, legend,
    h('table', { class: 'lines' }, h('thead', {}, h('tr', {}, h('th', {}, '层次'), h('th', {}, '支付方'), h('th', { class: 'amount' }, '金额（元）'), h('th', {}, ''))), body),
    benefits,
    h('div', { class: 'muted' }, `政策范围内 ${split.compliant} · 乙类先行自付 ${split.preSelfPay} · 超限价 ${split.overLimit} · 目录外 ${split.outOfScope}`));
}
