/**
 * The one circuit breaker of the gateway, over opossum: every call outside the process that can fail for a
 * while (Kafka publishes, the 医保 platform, each insurer, each hospital's FHIR server) goes through one.
 *
 * - A timeout per call (opossum's; a caller that aborts its own I/O sets it a little above its abort).
 * - An error the other side *answered* (`isAnswer`: a refusal of this message, a 404, a record too large)
 *   is passed through and does not count against the breaker: the system is up.
 * - `lastError` is the last real failure — a call that failed or timed out. The breaker's own refusal while
 *   open (BreakerOpen) never overwrites it: during an insurer's 401s the on-call must read the 401, not
 *   "breaker open", to tell an expired credential from an insurer that is down.
 * - One set of metrics for all breakers: `gateway_breaker_failures_total{breaker,target,kind}` (kind error
 *   or timeout) and `gateway_breaker_rejections_total{breaker,target}` (calls refused while open), and the
 *   state gauge (0 closed, 1 half-open, 2 open) under the name each breaker's alerts already use.
 */
import CircuitBreaker from 'opossum';
import { Counter, Gauge, type Registry } from 'prom-client';

export type BreakerState = 'closed' | 'halfOpen' | 'open';
const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, halfOpen: 1, open: 2 };

/** The breaker refused the call without making it: it says nothing new about the other side. */
export class BreakerOpen extends Error {
  readonly code = 'EOPENBREAKER';
  constructor(readonly breaker: string, readonly lastError: string | undefined) {
    super(lastError ? `breaker open (${lastError})` : 'breaker open');
    this.name = 'BreakerOpen';
  }
}

/** The state gauge of one kind of breaker, named as its alerts and the README name it. */
interface StateMetric {
  name: string;
  help: string;
  /** The label that tells breakers of one kind apart (`insurer`, `hospital`); none when there is one. */
  label?: string;
}

export interface BreakerOptions<A extends unknown[], R> {
  /** One attempt at the other side. */
  call: (...args: A) => Promise<R>;
  /** The kind of breaker, as metrics and logs label it: `relay`, `nhsa`, `insurer`, `fhir-server`. */
  name: string;
  /** Which one of its kind (an insurer's code, a hospital's id); absent when there is one. */
  target?: string;
  timeoutMs: number;
  resetMs: number;
  errorThresholdPercentage?: number;
  volumeThreshold?: number;
  /** The window over which failures are counted (opossum's rollingCountTimeout, 10 s by default). */
  rollingCountMs?: number;
  /** An error that is the other side answering, not failing. */
  isAnswer?: (error: unknown) => boolean;
  onState?: (state: BreakerState) => void;
  /** Where the metrics go; without one, none are kept (unit tests of a caller). */
  metrics?: { registry: Registry; state: StateMetric };
}

interface SharedMetrics { failures: Counter<'breaker' | 'target' | 'kind'>; rejections: Counter<'breaker' | 'target'>; gauges: Map<string, Gauge<string>> }

/** A registry's breaker metrics, registered once however many breakers report to it. */
const shared = new WeakMap<Registry, SharedMetrics>();

function sharedMetrics(registry: Registry): SharedMetrics {
  let metrics = shared.get(registry);
  if (!metrics) {
    metrics = {
      failures: new Counter({ name: 'gateway_breaker_failures_total', help: 'Calls behind a circuit breaker that failed (kind error) or timed out (kind timeout), by breaker and target', labelNames: ['breaker', 'target', 'kind'] as const, registers: [registry] }),
      rejections: new Counter({ name: 'gateway_breaker_rejections_total', help: 'Calls a circuit breaker refused while open, by breaker and target', labelNames: ['breaker', 'target'] as const, registers: [registry] }),
      gauges: new Map(),
    };
    shared.set(registry, metrics);
  }
  return metrics;
}

function stateGauge(registry: Registry, metrics: SharedMetrics, spec: StateMetric): Gauge<string> {
  let gauge = metrics.gauges.get(spec.name);
  if (!gauge) {
    gauge = new Gauge({ name: spec.name, help: spec.help, labelNames: spec.label ? [spec.label] : [], registers: [registry] });
    metrics.gauges.set(spec.name, gauge);
  }
  return gauge;
}

const isTimeout = (error: unknown): boolean => typeof error === 'object' && error !== null && 'code' in error && error.code === 'ETIMEDOUT';
const isOpenRefusal = (error: unknown): boolean => typeof error === 'object' && error !== null && 'code' in error && error.code === 'EOPENBREAKER';
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class Breaker<A extends unknown[], R> {
  private readonly circuit: CircuitBreaker<A, R>;
  private current: BreakerState = 'closed';
  private last: string | undefined;

  constructor(private readonly options: BreakerOptions<A, R>) {
    const isAnswer = options.isAnswer ?? (() => false);
    this.circuit = new CircuitBreaker(options.call, {
      timeout: options.timeoutMs,
      resetTimeout: options.resetMs,
      errorThresholdPercentage: options.errorThresholdPercentage ?? 50,
      volumeThreshold: options.volumeThreshold ?? 3,
      ...(options.rollingCountMs !== undefined ? { rollingCountTimeout: options.rollingCountMs } : {}),
      errorFilter: (error: unknown) => isAnswer(error),
    });
    const labels = { breaker: options.name, target: options.target ?? '' };
    const metrics = options.metrics ? sharedMetrics(options.metrics.registry) : undefined;
    const gauge = options.metrics && metrics ? stateGauge(options.metrics.registry, metrics, options.metrics.state) : undefined;
    const gaugeLabels = options.metrics?.state.label ? { [options.metrics.state.label]: options.target ?? '' } : {};
    const enter = (state: BreakerState) => () => {
      this.current = state;
      gauge?.set(gaugeLabels, BREAKER_STATE_VALUE[state]);
      options.onState?.(state);
    };
    gauge?.set(gaugeLabels, BREAKER_STATE_VALUE.closed);
    this.circuit.on('open', enter('open'));
    this.circuit.on('halfOpen', enter('halfOpen'));
    this.circuit.on('close', enter('closed'));
    // 'failure' is emitted for errors the filter did not pass and for timeouts; an open refusal is 'reject'.
    this.circuit.on('failure', (error: unknown) => {
      if (isOpenRefusal(error)) return;
      this.last = messageOf(error);
      metrics?.failures.inc({ ...labels, kind: isTimeout(error) ? 'timeout' : 'error' });
    });
    this.circuit.on('reject', () => metrics?.rejections.inc(labels));
  }

  /** Calls through the breaker: the call's own result or error, or BreakerOpen when no call was made. */
  async fire(...args: A): Promise<R> {
    try {
      return await this.circuit.fire(...args);
    } catch (error) {
      if (isOpenRefusal(error)) throw new BreakerOpen(this.options.name, this.last);
      throw error;
    }
  }

  get state(): BreakerState { return this.current; }
  /** Open: calls are refused until the reset time lets one probe through. */
  get opened(): boolean { return this.circuit.opened; }
  /** The last real failure's message (never the breaker's own refusal); undefined before any. */
  get lastError(): string | undefined { return this.last; }

  shutdown(): void { this.circuit.shutdown(); }
}
