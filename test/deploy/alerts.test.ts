/**
 * The alerting rules in deploy/prometheus/alerts.yaml stay true to the gateway: every metric an expression
 * names is one the code registers (a renamed metric would leave an alert that can never fire), every rule
 * says how bad and where to read on, and each README runbook row it points to exists.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as z from 'zod';

const ROOT = join(import.meta.dirname, '../..');

const rules = z.object({
  groups: z.array(z.object({
    name: z.string(),
    rules: z.array(z.object({
      alert: z.string().regex(/^[A-Z][A-Za-z]+$/),
      expr: z.string(),
      for: z.string().regex(/^\d+[smh]$/).optional(),
      labels: z.object({ severity: z.enum(['info', 'warning', 'critical']) }),
      annotations: z.object({ summary: z.string(), runbook: z.string() }),
    }).strict()),
  })),
});

/** Every TypeScript file under a directory. */
const sources = (dir: string): string[] => readdirSync(dir).flatMap((entry) => {
  const path = join(dir, entry);
  return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
});

/** The metric names the code registers with prom-client (`name: 'gateway_…'`). */
function registeredMetrics(): Set<string> {
  const names = new Set<string>();
  for (const file of [...sources(join(ROOT, 'gateway')), ...sources(join(ROOT, 'adapters'))]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/name: '(gateway_[a-z_]+)'/g)) names.add(m[1]!);
  }
  return names;
}

describe('deploy/prometheus/alerts.yaml', () => {
  const doc = rules.parse(parse(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yaml'), 'utf8')));
  const all = doc.groups.flatMap((g) => g.rules);

  it('names only metrics the gateway registers', () => {
    const registered = registeredMetrics();
    expect(registered.has('gateway_outbox_lag')).toBe(true); // the scan itself works
    const named = all.flatMap((r) => [...r.expr.matchAll(/\b(gateway_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g)].map((m) => ({ alert: r.alert, metric: m[1]! })));
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((n) => !registered.has(n.metric))).toEqual([]);
  });

  it('alerts on the outbox lag, the relay breaker, each delivery\'s lag and breaker, and the ledger\'s memory', () => {
    const exprs = all.map((r) => r.expr).join('\n');
    for (const metric of ['gateway_outbox_lag', 'gateway_relay_breaker_state', 'gateway_insurer_delivery_lag_seconds', 'gateway_insurer_breaker_state', 'gateway_nhsa_breaker_state', 'gateway_nhsa_delivery_lag_seconds', 'gateway_intake_lag_messages', 'gateway_intake_consumer_crashes_total', 'gateway_intake_undeliverable_answers_total', 'gateway_kafka_topic_drift', 'gateway_ledger_memory_bytes']) {
      expect(exprs, metric).toContain(metric);
    }
    expect(new Set(all.map((r) => r.alert)).size).toBe(all.length);
  });

  it('alerts when desks cannot settle: the share of settlements answered 5xx, by the route and status the access metric records', () => {
    const failing = all.find((r) => r.alert === 'SettlementsFailing');
    expect(failing?.labels.severity).toBe('critical');
    // The labels the gateway gives the settle route's latency (app.ts: baseUrl + route path, the status as text).
    expect(failing?.expr).toContain('route="/v1/settlements"');
    expect(failing?.expr).toContain('status=~"5.."');
  });

  it('points each alert at a runbook row that exists', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const runbook = readme.slice(readme.indexOf('## When something is wrong'), readme.indexOf('## Tests'));
    for (const rule of all.filter((r) => r.annotations.runbook.startsWith('README runbook: '))) {
      const row = rule.annotations.runbook.slice('README runbook: '.length);
      // The row's first words, as the symptom column writes them (code spans dropped).
      expect(runbook.replace(/`/g, ''), `${rule.alert}: ${row}`).toContain(row);
    }
  });
});
