/* The reports page: calls the /v1 report routes with the typed token and draws the figures with chart.js (served locally). */
/* global document, window, sessionStorage, fetch, URL, URLSearchParams, Blob, Chart */
'use strict';

const $ = (id) => document.getElementById(id);
const charts = {};
let lastWhatIfBody = null;
let lastPricingBody = null;

const LABELS = {
  basic: '基本医保', none: '无身份类别',
};

function token() { return sessionStorage.getItem('gateway-token') || ''; }

async function api(path, init) {
  const headers = Object.assign({ Authorization: `Bearer ${token()}` }, (init && init.headers) || {});
  const response = await fetch(path, Object.assign({}, init, { headers }));
  if (!response.ok) {
    let detail = `${response.status}`;
    try { const p = await response.json(); detail = `${p.title || response.status}：${p.detail || ''}${p.errors && p.errors.length ? `（${p.errors.map((e) => `${e.path} ${e.message}`).join('；')}）` : ''}`; } catch { /* not JSON */ }
    throw new Error(detail);
  }
  return response;
}

function text(tag, content, className) {
  const el = document.createElement(tag);
  el.textContent = content === null || content === undefined ? '—' : String(content);
  if (className) el.className = className;
  return el;
}

function card(key, value, note, tone) {
  const el = document.createElement('div');
  el.className = 'card';
  el.append(text('div', key, 'k'), text('div', value, `v${tone ? ` ${tone}` : ''}`));
  if (note) el.append(text('div', note, 'n'));
  return el;
}

/** A cell is its text, or { text, title } where the title keeps what an auditor looks up (a hospital's or rule's id). */
function table(el, headers, rows, numeric) {
  el.replaceChildren();
  const head = document.createElement('thead');
  const hr = document.createElement('tr');
  headers.forEach((h, i) => hr.append(text('th', h, numeric.includes(i) ? 'num' : '')));
  head.append(hr);
  const body = document.createElement('tbody');
  for (const r of rows) {
    const tr = document.createElement('tr');
    r.forEach((v, i) => {
      const named = v !== null && typeof v === 'object';
      const td = text('td', named ? v.text : v, numeric.includes(i) ? 'num' : '');
      if (named && v.title) td.title = v.title;
      tr.append(td);
    });
    body.append(tr);
  }
  el.append(head, body);
}

const pct = (ratio) => (ratio === null || ratio === undefined ? '—' : `${(Number(ratio) * 100).toFixed(2)}%`);
// Amounts arrive as exact decimal text; charts only draw them, tables and cards show the text itself.
const plot = (amount) => Number(amount);

function draw(id, config) {
  if (charts[id]) charts[id].destroy();
  config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
  charts[id] = new Chart($(id), config);
}

async function loadProgrammes() {
  const select = $('programme');
  const response = await api('/v1/programmes');
  const { programmes } = await response.json();
  select.replaceChildren();
  for (const p of programmes.filter((x) => x.layer === 'supplementary')) {
    const option = text('option', `${p.name}（${p.id}）`);
    option.value = p.id;
    option.dataset.from = p.term.from;
    option.dataset.to = p.term.to;
    select.append(option);
  }
  setPeriodFromProgramme();
  $('auth-status').textContent = `已连接，${programmes.length} 个政策包`;
}

function setPeriodFromProgramme() {
  const option = $('programme').selectedOptions[0];
  if (!option) return;
  const year = option.dataset.from.slice(0, 4);
  $('from').value = `${year}-01-01`;
  $('to').value = `${Number(year) + 1}-01-01`;
}

const BASIS = { settled: '按结算日期', discharged: '按出院日期' };

function reportPath(format) {
  const q = new URLSearchParams({ from: $('from').value, to: $('to').value, basis: $('basis').value });
  if (format) q.set('format', format);
  return `/v1/reports/programmes/${encodeURIComponent($('programme').value)}?${q}`;
}

async function showReport() {
  $('report-error').textContent = '';
  const r = await (await api(reportPath())).json();
  $('report').hidden = false;
  $('basis-note').textContent = basisNote(r);
  $('monthly-caption').textContent = `月度赔付（元，${r.basis === 'discharged' ? '按出院月份' : '按结算月份'}）`;
  const target = r.lossRatio.target;
  const tone = r.lossRatio.meetsTarget === null ? '' : r.lossRatio.meetsTarget ? 'good' : 'bad';
  $('cards').replaceChildren(
    card('参保人数', r.enrolled.persons, r.enrolled.source === 'roster' ? '按参保名单' : r.enrolled.source === 'configured' ? '配置数' : '未知'),
    card('保费收入（元）', r.premiumIncome),
    card('赔付合计（元）', r.paid.total, `直接结算 ${r.paid.direct}，现金给付 ${r.paid.benefits}`),
    card('赔付率', pct(r.lossRatio.value), target ? `目标 ≥ ${pct(target)}` : '未设目标', tone),
    card('结算笔数', r.settlements, `获赔 ${r.settlementsPaid} 笔，撤销 ${r.reversals} 笔`),
    card('获赔人数', r.persons.paid, `人均 ${r.perPerson.mean}，P90 ${r.perPerson.p90}`),
  );
  const lossLabels = ['赔付率'];
  const lossData = { labels: lossLabels, datasets: [{ label: '实际赔付率 %', data: [r.lossRatio.value === null ? 0 : Number(r.lossRatio.value) * 100], backgroundColor: '#1f6feb' }] };
  if (target) lossData.datasets.push({ label: '目标 %', data: [Number(target) * 100], backgroundColor: '#f0a020' });
  draw('loss-ratio-chart', { type: 'bar', data: lossData, options: { indexAxis: 'y', scales: { x: { beginAtZero: true, suggestedMax: 100 } } } });
  draw('monthly-chart', {
    type: 'bar',
    data: {
      labels: r.byMonth.map((m) => m.key),
      datasets: [
        { label: '直接结算', data: r.byMonth.map((m) => plot(m.direct)), backgroundColor: '#1f6feb', stack: 'paid' },
        { label: '现金给付', data: r.byMonth.map((m) => plot(m.benefits)), backgroundColor: '#2ea043', stack: 'paid' },
      ],
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } },
  });
  table($('by-rule'), ['保险责任', '赔付（元）'], r.byRule.map((x) => [{ text: x.name, title: `责任编号 ${x.rule}` }, x.amount]), [1]);
  table($('by-hospital'), ['医院', '笔数', '赔付（元）'], r.byHospital.map((x) => [x.name ? { text: x.name, title: `医院编码 ${x.key}` } : x.key, x.settlements, x.total]), [1, 2]);
  table($('by-category'), ['类别', '笔数', '赔付（元）'], r.byCategory.map((x) => [x.name || LABELS[x.key] || x.key, x.settlements, x.total]), [1, 2]);
  $('risk-group-block').hidden = r.byRiskGroup.length === 0;
  table($('by-risk-group'), ['人群', '笔数', '赔付（元）'], r.byRiskGroup.map((x) => [x.name || x.key, x.settlements, x.total]), [1, 2]);
  const extra = $('extra');
  extra.replaceChildren();
  if (r.profitCap) {
    const t = document.createElement('table');
    extra.append(text('h2', '利润调节（健康管理基金）'), t);
    table(t, ['项目', '金额'], [
      ['保费收入', r.profitCap.premiumIncome], ['赔付', r.profitCap.paid], [`运营费用（${pct(r.profitCap.operatingCostShare)}）`, r.profitCap.operatingCosts],
      ['净结果', r.profitCap.netResult], ['净利润率', pct(r.profitCap.netResultShare)], [`上限 ${pct(r.profitCap.capShare)}`, r.profitCap.cap],
      [`应转入${r.profitCap.fund}`, r.profitCap.dueToFund],
    ], [1]);
  }
  if (r.coverage) {
    const t = document.createElement('table');
    extra.append(text('h2', `覆盖率（截至 ${r.coverage.asOf}）：${pct(r.coverage.coverage)}`));
    if (r.coverage.targets.length) {
      extra.append(t);
      table(t, ['目标', '期限', '状态'], r.coverage.targets.map((x) => [`≥ ${pct(x.share)}`, x.by, { met: '已达到', onTrackOrBehind: '未到期，未达到', missed: '已逾期未达到', unknown: '缺少人数' }[x.status]]), []);
    }
  }
  if (r.secondPayouts && r.secondPayouts.length) {
    const t = document.createElement('table');
    extra.append(text('h2', '二次赔付（按出院日期统计年度）'), t);
    table(t, ['年度', '结余', '已分配', '人数', '赔付率（前→后）'], r.secondPayouts.map((x) => [x.year, x.surplus, x.distributed, x.persons, `${pct(x.lossRatioBefore)} → ${pct(x.lossRatioAfter)}`]), [1, 2, 3]);
  }
  const summary = $('summary');
  summary.hidden = !(r.coverage && r.coverage.targets.length);
}

const dayBefore = (date) => new Date(Date.parse(`${date}T00:00:00Z`) - 86400000).toISOString().slice(0, 10);

/** What placed a settlement in the period, in words: the figures of the two bases differ, and the second payout counts by discharge. */
function basisNote(r) {
  const period = `统计期间 ${r.period.from} 至 ${dayBefore(r.period.to)}`;
  const payout = r.secondPayoutBasis === 'discharged' ? '二次赔付按出院日期统计年度' : '';
  if (r.basis === 'discharged') {
    return `${period}，${BASIS.discharged}：出院日期在期间内的住院，含期间后才结算的（已读取 ${r.settledWindow.from} 至 ${dayBefore(r.settledWindow.to)} 结算的记录，数字为截至该日已知的结算）。${payout ? `${payout}，与本口径一致。` : ''}`;
  }
  return `${period}，${BASIS.settled}：结算时间在期间内的结算（期间内出院、期间后结算的住院计入结算当期）。${payout ? `${payout}，与本口径不同：可选“按出院日期”对照。` : ''}`;
}

async function download(path, init, name) {
  const blob = await (await api(path, init)).blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([blob], { type: 'text/csv' }));
  a.download = name;
  a.click();
  window.setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function whatIfBody() {
  return JSON.stringify({ pack: $('candidate').value, from: $('from').value, to: $('to').value });
}

async function showWhatIf() {
  $('whatif-error').textContent = '';
  lastWhatIfBody = whatIfBody();
  const r = await (await api('/v1/whatif', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: lastWhatIfBody })).json();
  $('whatif').hidden = false;
  const diff = Number(r.totals.difference);
  $('whatif-cards').replaceChildren(
    card('现行政策赔付（元）', r.totals.baseline.total, `版本 ${r.programme.actualVersion || '—'}`),
    card('候选政策赔付（元）', r.totals.candidate.total, `版本 ${r.programme.candidateVersion}`),
    card('差额（元）', r.totals.difference, diff > 0 ? '候选 − 现行：基金多付' : diff < 0 ? '候选 − 现行：基金少付' : '候选 − 现行：不变'),
    card('受益人数', r.persons.betterOff, '个人负担减少'),
    card('负担增加人数', r.persons.worseOff, `共 ${r.persons.total} 人`),
    card('重放结算', r.settlements.replayed, `与原结算不一致 ${r.settlements.storedMismatches} 笔；无法重放 ${r.settlements.unreplayable} 笔（未计入对比）`),
  );
  draw('whatif-rule-chart', {
    type: 'bar',
    data: {
      labels: r.byRule.map((x) => x.name),
      datasets: [
        { label: '现行', data: r.byRule.map((x) => plot(x.baseline)), backgroundColor: '#8aa4c8' },
        { label: '候选', data: r.byRule.map((x) => plot(x.candidate)), backgroundColor: '#1f6feb' },
      ],
    },
    options: { scales: { y: { beginAtZero: true } } },
  });
  draw('whatif-distribution-chart', {
    type: 'bar',
    data: { labels: r.distribution.map((x) => x.bucket), datasets: [{ label: '人数', data: r.distribution.map((x) => x.persons), backgroundColor: '#2ea043' }] },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
  });
  table($('whatif-biggest'), ['人员（脱敏）', '结算次数', '现行（元）', '候选（元）', '差额（元）'], r.biggestChanges.map((x) => [x.person, x.settlements, x.baseline, x.candidate, x.difference]), [1, 2, 3, 4]);
}

function pricingBody() {
  const target = $('pricing-target').value === 'profitCap' ? { kind: 'profitCap' } : Object.assign({ kind: 'lossRatio' }, $('pricing-ratio').value.trim() ? { ratio: $('pricing-ratio').value.trim() } : {});
  return JSON.stringify({
    pack: $('candidate').value, from: $('from').value, to: $('to').value,
    figure: { path: $('pricing-path').value.trim(), unit: $('pricing-unit').value, min: $('pricing-min').value.trim(), max: $('pricing-max').value.trim() },
    target,
  });
}

const OUTCOME = { found: '已找到', metThroughout: '全程满足', unreachable: '无法达到' };
const DIRECTION = { rising: '数值越大赔付越多', falling: '数值越大赔付越少', flat: '不随数值变化' };

async function showPricing() {
  $('pricing-error').textContent = '';
  lastPricingBody = pricingBody();
  const r = await (await api('/v1/pricing', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: lastPricingBody })).json();
  $('pricing').hidden = false;
  $('pricing-message').textContent = r.message;
  const answer = r.answers[0];
  $('pricing-cards').replaceChildren(
    card('结果', OUTCOME[r.outcome], r.target.description),
    card('临界数值', answer ? answer.figure : null, answer ? `赔付 ${answer.claims} 元，赔付率 ${pct(answer.lossRatio)}` : '见上方说明', answer ? 'good' : 'bad'),
    card('相邻一步', answer ? answer.neighbour.figure : null, answer ? `赔付 ${answer.neighbour.claims} 元，赔付率 ${pct(answer.neighbour.lossRatio)}，不满足` : ''),
    card('单调性', r.monotone.monotone ? '单调' : '不单调', r.monotone.monotone ? DIRECTION[r.monotone.direction] : `在 ${r.monotone.turn.join(' → ')} 处转向`, r.monotone.monotone ? '' : 'bad'),
    card('保费收入（元）', r.target.premiumIncome, `现行数值 ${r.figure.written || '—'}`),
    card('重放', `${r.passes} 遍`, `${r.claimsReplayed === 'once' ? '该数值不影响赔付（引擎不读取）：重放一遍，各数值按保费计算；' : ''}每遍 ${r.settlements.replayed} 笔结算；无法重放 ${r.settlements.unreplayable} 笔`),
  );
  draw('pricing-chart', {
    type: 'line',
    data: {
      labels: r.curve.map((p) => p.figure),
      datasets: [
        { label: '赔付（元）', data: r.curve.map((p) => plot(p.claims)), borderColor: '#1f6feb', backgroundColor: '#1f6feb', yAxisID: 'claims' },
        { label: '赔付率 %', data: r.curve.map((p) => (p.lossRatio === null ? null : Number(p.lossRatio) * 100)), borderColor: '#f0a020', backgroundColor: '#f0a020', yAxisID: 'ratio' },
      ],
    },
    options: { scales: { claims: { position: 'left', beginAtZero: true }, ratio: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false } } } },
  });
  table($('pricing-curve'), ['数值', '赔付（元）', '赔付率', '满足目标'], r.curve.map((p) => [p.figure, p.claims, pct(p.lossRatio), p.meets ? '是' : '否']), [0, 1, 2]);
}

function guard(fn, errorId) {
  return (event) => {
    if (event) event.preventDefault();
    fn().catch((error) => { $(errorId).textContent = error.message; });
  };
}

window.addEventListener('DOMContentLoaded', () => {
  $('token').value = token();
  $('save-token').addEventListener('click', guard(async () => { sessionStorage.setItem('gateway-token', $('token').value.trim()); await loadProgrammes(); }, 'report-error'));
  $('programme').addEventListener('change', setPeriodFromProgramme);
  $('report-form').addEventListener('submit', guard(showReport, 'report-error'));
  $('csv').addEventListener('click', guard(() => download(reportPath('csv'), {}, `${$('programme').value}-${$('basis').value}.csv`), 'report-error'));
  $('whatif-form').addEventListener('submit', guard(showWhatIf, 'whatif-error'));
  $('whatif-csv').addEventListener('click', guard(() => download('/v1/whatif?format=csv', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: lastWhatIfBody || whatIfBody() }, 'whatif.csv'), 'whatif-error'));
  $('pricing-form').addEventListener('submit', guard(showPricing, 'pricing-error'));
  $('pricing-csv').addEventListener('click', guard(() => download('/v1/pricing?format=csv', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: lastPricingBody || pricingBody() }, 'pricing.csv'), 'pricing-error'));
  $('summary').addEventListener('click', guard(async () => {
    const year = $('from').value.slice(0, 4);
    const html = await (await api(`/v1/reports/programmes/${encodeURIComponent($('programme').value)}/summary?year=${year}`)).text();
    const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    window.open(url, '_blank', 'noopener');
  }, 'report-error'));
  if (token()) guard(loadProgrammes, 'report-error')();
});
