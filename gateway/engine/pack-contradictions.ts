/**
 * What a pack says against itself, each with its YAML path and in the words of the county operator who
 * loads it: a limit naming a rule that does not exist or cannot honour it, a 款 no rule pays, a variant or
 * catalogue named but not declared, two rules sharing an id (their counters would merge). The gateway
 * refuses to start on any of these, and `npm run check-pack` lists them.
 */
import type { Pack, StayCondition } from '../../schemas/pack.js';
import type { Rule } from '../../schemas/pack.js';
import { counterName } from './counter-keys.js';
import { counterNames, limitableRule } from './rules/registry.js';

/** Every condition of a rule, with its path: `when`, its `anyOf`, and each override's `if`. */
function conditionsOf(rule: Rule, at: string): Array<{ path: string; condition: StayCondition }> {
  const found: Array<{ path: string; condition: StayCondition }> = [];
  if (rule.when) {
    found.push({ path: `${at}.when`, condition: rule.when });
    rule.when.anyOf?.forEach((c, i) => found.push({ path: `${at}.when.anyOf.${i}`, condition: c }));
  }
  if ('overrides' in rule) rule.overrides?.forEach((o, i) => found.push({ path: `${at}.overrides.${i}.if`, condition: o.if }));
  return found;
}

/** Catalogues a rule names: in its conditions, and the 既往症 list of a rule judging by claim. */
function cataloguesOf(rule: Rule, at: string): Array<{ path: string; id: string }> {
  const named = conditionsOf(rule, at).flatMap(({ path, condition }) => (condition.catalog ? [{ path: `${path}.catalog`, id: condition.catalog }] : []));
  if ('riskGroup' in rule && rule.riskGroup?.catalog) named.push({ path: `${at}.riskGroup.catalog`, id: rule.riskGroup.catalog });
  return named;
}

export function packContradictions(pack: Pack, catalogueIds: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const say = (path: string, text: string) => problems.push(`${pack.id} ${path}：${text}`);
  const ruleIds = new Set<string>();
  pack.rules.forEach((rule, i) => {
    if (ruleIds.has(rule.id)) say(`rules.${i}.id`, `责任编号 ${rule.id} 重复（两条责任的累计额会混在一起）`);
    ruleIds.add(rule.id);
    for (const { path, id } of cataloguesOf(rule, `rules.${i}`)) if (!catalogueIds.has(id)) say(path, `病种目录 ${id} 不存在（catalogues/ 中没有此 id）`);
  });

  const variantIds = new Set<string>();
  pack.variants?.value.forEach((v, i) => {
    if (variantIds.has(v.id)) say(`variants.value.${i}.id`, `款型 ${v.id} 重复`);
    variantIds.add(v.id);
  });
  if (pack.variants && !pack.eligibility.roster) say('variants', '有款型的保险须有参保名单（eligibility.roster）：款型由名单的 variant 列给出');
  const checkVariants = (path: string, condition: StayCondition) => {
    condition.variants?.forEach((v, j) => {
      if (!variantIds.has(v)) say(`${path}.variants.${j}`, pack.variants ? `款型 ${v} 未在 variants 中声明（${[...variantIds].join('、')}）` : `款型 ${v} 无从判断：本保险未声明 variants`);
    });
  };
  pack.rules.forEach((rule, i) => { for (const { path, condition } of conditionsOf(rule, `rules.${i}`)) checkVariants(path, condition); });
  pack.limits.forEach((limit, i) => limit.overrides?.forEach((o, j) => checkVariants(`limits.${i}.overrides.${j}.if`, o.if)));
  // A 款 that no rule pays: every rule is restricted (when.variants) to other 款.
  for (const v of pack.variants?.value ?? []) {
    if (!pack.rules.some((rule) => !rule.when?.variants || rule.when.variants.includes(v.id))) say('variants', `款型 ${v.id}（${v.name}）没有任何责任适用`);
  }

  const sharedIds = new Set<string>();
  pack.sharedDeductibles.forEach((shared, i) => {
    if (ruleIds.has(shared.id) || sharedIds.has(shared.id)) say(`sharedDeductibles.${i}.id`, `共用免赔额编号 ${shared.id} 与责任或另一共用免赔额重复`);
    sharedIds.add(shared.id);
    shared.rules.forEach((id, j) => {
      const rule = pack.rules.find((r) => r.id === id);
      if (!rule) say(`sharedDeductibles.${i}.rules.${j}`, `责任 ${id} 不存在`);
      else if (!counterNames(rule).includes(counterName(id, 'deductibleUsed'))) say(`sharedDeductibles.${i}.rules.${j}`, `责任 ${id} 没有年度免赔额，无从共用`);
      else if (pack.sharedDeductibles.some((other, k) => k < i && other.rules.includes(id))) say(`sharedDeductibles.${i}.rules.${j}`, `责任 ${id} 已在另一共用免赔额中`);
    });
  });

  const limitIds = new Set<string>();
  pack.limits.forEach((limit, i) => {
    if (ruleIds.has(limit.id) || limitIds.has(limit.id) || sharedIds.has(limit.id)) say(`limits.${i}.id`, `限额编号 ${limit.id} 与${ruleIds.has(limit.id) ? '责任' : '另一限额'}重复（累计额会混在一起）`);
    limitIds.add(limit.id);
    limit.rules?.forEach((id, j) => {
      const rule = pack.rules.find((r) => r.id === id);
      if (!rule) say(`limits.${i}.rules.${j}`, `责任 ${id} 不存在（${[...ruleIds].join('、')}）`);
      else if (!limitableRule(rule)) say(`limits.${i}.rules.${j}`, `责任 ${id}（${rule.kind}）不受共用限额约束，不能列入`);
    });
    if (!limit.rules) {
      for (const rule of pack.rules) if (!limitableRule(rule)) say(`limits.${i}`, `未列责任即适用全部责任，但责任 ${rule.id}（${rule.kind}）不受共用限额约束；请用 rules 列出`);
    }
  });
  return problems;
}
