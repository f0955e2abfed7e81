/**
 * The yearly summary (湖南 002 四(一): 市残联 … 每年2月将上一年度总结报告上报省残联): one printable page
 * per programme and year — enrolment and coverage against the targets, priority groups, claims paid,
 * funds — for the officer to print, sign and send. Figures come from the programme view; no personal data.
 */
import { escapeHtml } from './html.js';
import { BASIS_NAMES } from './period.js';
import type { ProgrammeView } from './programme-view.js';

const pct = (ratio: string | null) => (ratio === null ? '—' : `${(Number(ratio) * 100).toFixed(2)}%`);
const STATUS = { met: '已达到', onTrackOrBehind: '尚未到期（未达到）', missed: '未达到（已逾期）', unknown: '无法判断（缺少人数）' } as const;

export function renderSummary(view: ProgrammeView, year: number, dueMonth: number | null): string {
  const e = escapeHtml;
  const row = (label: string, value: string | number | null) => `<tr><th>${e(label)}</th><td>${e(value === null ? '—' : String(value))}</td></tr>`;
  const c = view.coverage;
  const groups = c?.priorityGroups.length ? `
    <table class="grid"><thead><tr><th>重点对象</th><th class="num">应保人数</th><th class="num">参保人数</th><th class="num">覆盖率</th></tr></thead><tbody>
    ${c.priorityGroups.map((g) => `<tr><td>${e(g.name)}</td><td class="num">${g.eligible}</td><td class="num">${g.insured}</td><td class="num">${e(pct(g.coverage))}</td></tr>`).join('')}
    </tbody></table>` : '';
  const targets = c?.targets.length ? `
    <table class="grid"><thead><tr><th>目标</th><th>期限</th><th>完成情况</th></tr></thead><tbody>
    ${c.targets.map((t) => `<tr><td>覆盖率 ≥ ${e(pct(t.share))}</td><td>${e(t.by)}</td><td>${e(STATUS[t.status])}</td></tr>`).join('')}
    </tbody></table><p class="cite">${e(c.targetsCite ?? '')}</p>` : '';
  const months = view.byMonth.map((m) => `<tr><td>${e(m.key)}</td><td class="num">${m.settlements}</td><td class="num">${e(m.total)}</td></tr>`).join('');
  const rules = view.byRule.map((r) => `<tr><td>${e(r.name)}</td><td class="num">${e(r.amount)}</td></tr>`).join('');
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${e(view.programme.name)} ${year} 年度总结</title>
<style>
  @page { size: A4; margin: 16mm; }
  body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; font-size: 11pt; color: #111; max-width: 178mm; margin: 0 auto; }
  h1 { font-size: 16pt; text-align: center; } h2 { font-size: 12.5pt; margin-top: 6mm; }
  table { border-collapse: collapse; width: 100%; margin: 2mm 0; }
  .meta th { text-align: left; width: 40%; font-weight: normal; color: #444; } .meta td, .meta th { padding: 1mm 2mm; border-bottom: 1px solid #ddd; }
  .grid th, .grid td { border: 1px solid #999; padding: 1mm 2mm; } .grid thead th { background: #eee; }
  .num { text-align: right; font-variant-numeric: tabular-nums; } .cite { color: #555; font-size: 9pt; }
  .sign { margin-top: 14mm; display: flex; justify-content: space-between; }
</style></head><body>
<h1>${e(view.programme.name)}<br>${year} 年度实施情况总结</h1>
<p class="cite">统计期间 ${e(view.period.from)} 至 ${e(view.period.to)}（不含，${e(BASIS_NAMES[view.basis])}）；${dueMonth ? `按要求于 ${year + 1} 年 ${dueMonth} 月报送上级残联。` : ''}数据来自一站式结算网关的结算记录。</p>
<h2>一、参保与覆盖情况</h2>
<table class="meta">
${row('参保人数', c?.insured ?? view.enrolled.persons)}
${row('应保人数（困难重度残疾人）', c?.eligiblePopulation ?? null)}
${row('覆盖率', pct(c?.coverage ?? null))}
</table>
${targets}${groups}
<h2>二、理赔情况</h2>
<table class="meta">
${row('保险保障的住院结算（笔）', view.settlements)}
${row('其中获得赔付（笔）', view.settlementsPaid)}
${row('获得赔付人数', view.persons.paid)}
${row('直接结算金额（元）', view.paid.direct)}
${row('现金给付金额（元）', view.paid.benefits)}
${row('赔付合计（元）', view.paid.total)}
${row('人均赔付（元）', view.perPerson.mean)}
${row('撤销结算（笔）', view.reversals)}
</table>
<table class="grid"><thead><tr><th>保险责任</th><th class="num">赔付（元）</th></tr></thead><tbody>${rules}</tbody></table>
<table class="grid"><thead><tr><th>月份</th><th class="num">结算笔数</th><th class="num">赔付（元）</th></tr></thead><tbody>${months}</tbody></table>
<h2>三、资金情况</h2>
<table class="meta">
${row('保费收入（元）', view.premiumIncome)}
${row('赔付率', pct(view.lossRatio.value))}
</table>
<h2>四、存在问题与下一步工作</h2>
<p>（由填报单位填写）</p>
<div class="sign"><span>填报单位（盖章）：</span><span>填报人：</span><span>日期：</span></div>
</body></html>`;
}
