/** The printable settlement slip (一站式结算单): one A4 page a patient takes home. Personal data masked. */
import type { Split } from '../../schemas/settlement.js';
import type { StoredRequest } from '../ledger/stored.js';
import { CATEGORY_NAMES } from '../../schemas/categories.js';
import { maskId, maskName } from '../log.js';

const LAYER_NAMES = { basic: '基本医疗保险', majorIllness: '大病保险', waiver: '医疗机构减免', aid: '医疗救助', supplementary: '商业补充保险' } as const;
const STATUS_NAMES = { preview: '预结算（未生效）', settled: '已结算', reversed: '已撤销' } as const;
const KIND_NAMES = { inpatient: '住院', outpatientSpecial: '门诊特殊病种' } as const;
const BENEFIT_NAMES: Record<string, string> = { accidentHospitalAllowance: '意外住院津贴', accidentMedical: '意外医疗保险金' };

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderSlip(split: Split, request: StoredRequest): string {
  const { hospital, patient, encounter } = request;
  const row = (label: string, value: string) => `<tr><th>${escape(label)}</th><td>${escape(value)}</td></tr>`;
  const lines = split.lines.map((l) => `
      <tr>
        <td>${escape(LAYER_NAMES[l.layer])}</td>
        <td>${escape(l.payer)}<div class="pg">${l.mode === 'given' ? '医保平台结算' : l.programme === 'none' ? '无适用政策' : escape(l.programme)}</div></td>
        <td class="num">${escape(l.amount)}</td>
        <td><ol>${l.explanation.map((e) => `<li>${escape(e)}</li>`).join('')}</ol></td>
      </tr>`).join('');
  const benefits = split.benefits.length === 0 ? '' : `
    <h2>现金给付（不冲减本次费用，由保险公司另行支付给患者）</h2>
    <table class="lines"><thead><tr><th>项目</th><th>保险</th><th class="num">金额（元）</th></tr></thead><tbody>
    ${split.benefits.map((b) => `<tr><td>${escape(BENEFIT_NAMES[b.kind] ?? b.kind)}</td><td>${escape(b.programme)}</td><td class="num">${escape(b.amount)}</td></tr>`).join('')}
    </tbody></table>`;
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>一站式结算单 ${escape(split.settlementId)}</title>
<style>
  @page { size: A4; margin: 14mm; }
  body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; font-size: 11pt; color: #111; max-width: 182mm; margin: 0 auto; }
  h1 { font-size: 16pt; text-align: center; margin: 0 0 2mm; }
  .sub { text-align: center; color: #444; margin-bottom: 4mm; }
  h2 { font-size: 12pt; margin: 5mm 0 2mm; }
  table { border-collapse: collapse; width: 100%; }
  .meta th { text-align: left; width: 22%; font-weight: normal; color: #444; }
  .meta td, .meta th { padding: 1mm 2mm; border-bottom: 1px solid #ddd; }
  .lines th, .lines td { border: 1px solid #999; padding: 1.5mm 2mm; vertical-align: top; }
  .lines thead th { background: #eee; }
  .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
  .pg { color: #666; font-size: 9pt; }
  ol { margin: 0; padding-left: 5mm; font-size: 9pt; }
  .total td { font-weight: bold; font-size: 13pt; }
  .status-reversed { color: #b00; font-weight: bold; }
  tr { page-break-inside: avoid; }
  footer { margin-top: 6mm; font-size: 9pt; color: #555; }
</style></head><body>
  <h1>一站式结算单</h1>
  <div class="sub">${escape(STATUS_NAMES[split.status])} · 结算号 ${escape(split.settlementId)} · 网关流水 ${escape(split.gatewayId)}</div>
  <table class="meta">
    ${row('医疗机构', `${hospital.id}（${hospital.level}级，区划 ${hospital.region}）`)}
    ${row('患者', `${patient.name ? maskName(patient.name) : '—'}　证件号 ${maskId(patient.id)}`)}
    ${row('参保', `${patient.scheme === 'employee' ? '职工医保' : '城乡居民医保'}，参保地 ${patient.insuredRegion}${patient.categories.length ? `，身份：${patient.categories.map((c) => CATEGORY_NAMES[c]).join('、')}` : ''}`)}
    ${row('就诊', `${KIND_NAMES[encounter.kind]} ${encounter.admittedOn} 至 ${encounter.dischargedOn}${encounter.cause === 'accident' ? '（意外伤害）' : ''}`)}
    ${row('结算时间', split.status === 'reversed' ? `${split.settledAt ?? ''}，撤销于 ${split.reversedAt ?? ''}` : split.settledAt ?? '未结算')}
  </table>
  <h2>费用构成（元）</h2>
  <table class="lines"><thead><tr><th>医疗总费用</th><th>政策范围内</th><th>乙类先行自付</th><th>超限价自费</th><th>目录外（全自费）</th></tr></thead>
    <tbody><tr><td class="num">${split.total}</td><td class="num">${split.compliant}</td><td class="num">${split.preSelfPay}</td><td class="num">${split.overLimit}</td><td class="num">${split.outOfScope}</td></tr></tbody></table>
  <h2>各方支付（按结算顺序）</h2>
  <table class="lines"><thead><tr><th>层次</th><th>支付方</th><th class="num">金额（元）</th><th>计算说明</th></tr></thead>
    <tbody>${lines}
      <tr class="total"><td colspan="2">个人支付</td><td class="num">${escape(split.patientPays)}</td><td>${split.status === 'reversed' ? '<span class="status-reversed">本次结算已撤销</span>' : ''}</td></tr>
    </tbody></table>
  ${benefits}
  <footer>各支付方金额按政策逐项计算，每项四舍五入至分，尾差计入个人支付。政策版本：${escape(Object.entries(split.policyVersions).map(([k, v]) => `${k} ${v}`).join('；') || '无')}。</footer>
</body></html>`;
}
