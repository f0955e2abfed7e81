/**
 * The printable settlement slip (一站式结算单) a patient takes home: one A4 page for an ordinary bill
 * (30 items, 6 payers), in the bundled CJK font, with names instead of codes, times to the minute,
 * the patient's part also in 大写, reasons in plain words, a signature and stamp area, and a
 * watermark when reversed. Personal data masked. A pure function of what it is given.
 */
import { CATEGORY_NAMES, DISABILITY_TYPES, ENCOUNTER_KIND_NAMES, LAYER_NAMES } from '../../../schemas/vocabulary.js';
import type { Split, SplitLine } from '../../../schemas/settlement.js';
import type { StoredRequest } from '../../ledger/stored.js';
import { formatFen, parseFen } from '../../engine/money.js';
import { maskId, maskName } from '../../log.js';
import { amountInWords, chinaMinute, patientExplanation } from './words.js';

export interface SlipNames {
  /** The hospital's name (request, else configuration), or undefined: then its id is printed. */
  hospitalName?: string;
  /** A programme's name from its pack. */
  programmeName(programmeId: string): string | undefined;
  /** Where the bundled font's stylesheet is served. */
  fontStylesheet: string;
}

const STATUS_NAMES = { preview: '预结算（未生效）', settled: '已结算', reversed: '已撤销' } as const;
const CLASS_NAMES = { A: '甲', B: '乙', C: '丙' } as const;
const BENEFIT_NAMES: Record<string, string> = { accidentHospitalAllowance: '意外住院津贴', accidentMedical: '意外医疗保险金' };

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

/** The waiver's payer is the hospital itself (its id in the split): print its name. */
function payerName(line: SplitLine, split: Split, hospitalLabel: string): string {
  return line.payer === split.hospitalId ? hospitalLabel : line.payer;
}

function itemsTable(request: StoredRequest): string {
  const rows = request.items.map((item, index) => `<tr><td class="n">${index + 1}</td><td class="name">${escape(item.name)}</td><td class="c">${CLASS_NAMES[item.class]}</td><td class="num">${formatFen(item.amount)}</td></tr>`);
  // Side by side in up to three columns: thirty items take ten rows.
  const columns = rows.length <= 4 ? 1 : rows.length <= 16 ? 2 : 3;
  const perColumn = Math.ceil(rows.length / columns);
  const table = (part: string[]) => `<table class="items"><thead><tr><th class="n">序</th><th>项目</th><th class="c">类</th><th class="num">金额</th></tr></thead><tbody>${part.join('')}</tbody></table>`;
  const parts = Array.from({ length: columns }, (_, i) => table(rows.slice(i * perColumn, (i + 1) * perColumn)));
  return `<div class="cols cols-${columns}">${parts.join('')}</div>`;
}

export function renderSlip(split: Split, request: StoredRequest, names: SlipNames): string {
  const { hospital, patient, encounter } = request;
  const hospitalLabel = names.hospitalName ?? `医疗机构 ${hospital.id}`;
  const reversed = split.status === 'reversed';
  const programmeLabel = (line: SplitLine) => (line.mode === 'given' ? '医保平台结算' : names.programmeName(line.programme) ?? LAYER_NAMES[line.layer]);
  const lines = split.lines.map((line) => `
      <tr>
        <td class="payer"><b>${escape(payerName(line, split, hospitalLabel))}</b><div class="pg">${escape(LAYER_NAMES[line.layer])}${line.mode === 'given' || line.layer === 'supplementary' ? ` · ${escape(programmeLabel(line))}` : ''}</div></td>
        <td class="num amount">${escape(line.amount)}</td>
        <td class="why">${patientExplanation(line).map(escape).join('；')}</td>
      </tr>`).join('');
  const benefits = split.benefits.length === 0 ? '' : `
    <h2>另行给付（不冲减本次费用，由保险公司支付给您本人）</h2>
    <table class="lines"><tbody>
    ${split.benefits.map((b) => `<tr><td>${escape(BENEFIT_NAMES[b.kind] ?? '保险金')}<div class="pg">${escape(names.programmeName(b.programme) ?? '')}</div></td><td class="num amount">${escape(b.amount)}</td></tr>`).join('')}
    </tbody></table>`;
  const patientPaysFen = parseFen(split.patientPays) ?? 0;
  const identity = [
    patient.scheme === 'employee' ? '职工医保' : '城乡居民医保',
    ...patient.categories.map((c) => CATEGORY_NAMES[c]),
    ...(patient.disability ? [`${DISABILITY_TYPES[patient.disability.type]}残疾${patient.disability.grade}级`] : []),
  ].join('、');
  const primary = encounter.diagnoses.find((d) => d.primary) ?? encounter.diagnoses[0];
  const settledText = split.settledAt ? chinaMinute(split.settledAt) : '未结算';
  // [label, value, wide]: a wide entry spans two of the three columns.
  const meta: Array<[string, string, boolean]> = [
    ['患者', patient.name ? maskName(patient.name) : '—', false],
    ['证件号', maskId(patient.id), false],
    ['主要诊断', primary ? primary.icd10 : '—', false],
    ['参保', `${identity}（参保地 ${patient.insuredRegion}）`, true],
    ['结算时间', settledText, false], // a reversal's time is in the banner
    ['就诊', `${ENCOUNTER_KIND_NAMES[encounter.kind]} ${encounter.admittedOn} 至 ${encounter.dischargedOn}（${daysBetween(encounter.admittedOn, encounter.dischargedOn)} 天）${encounter.cause === 'accident' ? '，意外伤害' : ''}`, true],
  ];
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>一站式结算单 ${escape(split.settlementId)}</title>
<link rel="stylesheet" href="${escape(names.fontStylesheet)}">
<style>
  @page { size: A4; margin: 10mm 12mm; }
  * { box-sizing: border-box; }
  html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { font-family: "Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; font-size: 9pt; line-height: 1.35; color: #111; max-width: 184mm; margin: 0 auto; position: relative; }
  header { display: flex; justify-content: space-between; align-items: flex-end; border-bottom: 2px solid #111; padding-bottom: 2mm; }
  h1 { font-size: 15pt; margin: 0; letter-spacing: 0.1em; }
  .hospital { font-size: 11pt; font-weight: 700; }
  .ids { text-align: right; font-size: 8.5pt; color: #333; }
  h2 { font-size: 9.5pt; margin: 3mm 0 1mm; }
  table { border-collapse: collapse; width: 100%; }
  .meta { display: grid; grid-template-columns: repeat(3, 1fr); gap: 0.8mm 4mm; margin: 2mm 0 0; }
  .meta div span { color: #555; margin-right: 1.5mm; }
  .meta .wide { grid-column: span 2; }
  .cols { display: grid; gap: 3mm; align-items: start; }
  .cols-1 { grid-template-columns: minmax(0, 62%); } .cols-2 { grid-template-columns: 1fr 1fr; } .cols-3 { grid-template-columns: 1fr 1fr 1fr; }
  .items th, .items td { border-bottom: 0.5px solid #bbb; padding: 0.5mm 1mm; font-size: 8pt; }
  .items .n, .items .c { width: 6mm; text-align: center; color: #555; }
  .items .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 34mm; }
  .items thead th, .lines thead th, .costs th { background: #eee; font-weight: 700; text-align: left; }
  .costs th, .costs td { border: 0.5px solid #999; padding: 0.8mm 1.5mm; }
  .lines th, .lines td { border: 0.5px solid #999; padding: 1mm 1.5mm; vertical-align: top; }
  .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
  .amount { font-size: 10pt; width: 24mm; }
  .payer { width: 52mm; }
  .pg { color: #555; font-size: 7.5pt; }
  .why { font-size: 7.5pt; color: #222; }
  .pays { display: flex; justify-content: space-between; align-items: baseline; border: 1.5px solid #111; padding: 2mm 3mm; margin-top: 3mm; }
  .pays b { font-size: 14pt; font-variant-numeric: tabular-nums; }
  .words { font-size: 10pt; }
  .note { font-size: 7.5pt; color: #444; margin-top: 2mm; }
  .sign { display: grid; grid-template-columns: 1fr 1fr 36mm; gap: 6mm; margin-top: 3mm; align-items: end; }
  .sign div { border-bottom: 0.5px solid #111; height: 10mm; font-size: 8.5pt; color: #333; }
  .sign .stamp { border: 0.5px dashed #777; height: 22mm; text-align: center; padding-top: 8mm; color: #777; }
  tr { break-inside: avoid; }
  .watermark { position: fixed; inset: 0; display: flex; align-items: center; justify-content: center; overflow: hidden; pointer-events: none; z-index: 1; }
  .watermark span { font-size: 96pt; font-weight: 700; color: rgba(200, 0, 0, 0.2); transform: rotate(-24deg); letter-spacing: 0.2em; white-space: nowrap; }
  .reversed-banner { border: 1.5px solid #c00; color: #c00; font-weight: 700; text-align: center; padding: 0.5mm; margin-top: 1.5mm; font-size: 10pt; }
</style></head><body>
  ${reversed ? '<div class="watermark" aria-hidden="true"><span>已撤销</span></div>' : ''}
  <header>
    <div><div class="hospital">${escape(hospitalLabel)}</div><h1>一站式结算单</h1></div>
    <div class="ids">${escape(STATUS_NAMES[split.status])}<br>结算号 ${escape(split.settlementId)}<br>流水号 ${escape(split.gatewayId)}</div>
  </header>
  ${reversed ? `<div class="reversed-banner">本次结算已撤销${split.reversedAt ? `（${escape(chinaMinute(split.reversedAt))}）` : ''}，本单作废，各项金额不再有效</div>` : ''}
  <div class="meta">${meta.map(([label, value, wide]) => `<div${wide ? ' class="wide"' : ''}><span>${escape(label)}</span>${escape(value)}</div>`).join('')}</div>
  <h2>费用明细（元）</h2>
  ${itemsTable(request)}
  <h2>费用构成（元）</h2>
  <table class="costs"><tr><th>医疗总费用</th><th>政策范围内</th><th>乙类先行自付</th><th>超限价自费</th><th>目录外全自费</th></tr>
    <tr><td class="num">${split.total}</td><td class="num">${split.compliant}</td><td class="num">${split.preSelfPay}</td><td class="num">${split.overLimit}</td><td class="num">${split.outOfScope}</td></tr></table>
  <h2>各方支付（按结算顺序）</h2>
  <table class="lines"><thead><tr><th>支付方</th><th class="num">金额（元）</th><th>说明</th></tr></thead><tbody>${lines}</tbody></table>
  <div class="pays"><span>个人支付 <b>${escape(split.patientPays)}</b> 元</span><span class="words">大写：人民币${amountInWords(patientPaysFen)}</span></div>
  ${benefits}
  <div class="note">各支付方金额按政策逐项计算，四舍五入至分，尾差计入个人支付。如有疑问，请持本单到出院结算窗口咨询。</div>
  <div class="sign"><div>收费员：</div><div>患者或家属签字：</div><div class="stamp">医院结算专用章</div></div>
</body></html>`;
}
