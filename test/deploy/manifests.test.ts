/**
 * No container engine runs here, so the deployment files are checked statically: every environment
 * variable set for a gateway container is one gateway/config.ts knows, and ports, probes and mounts
 * agree with the code's defaults and routes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configSchema } from '../../gateway/config.js';
import { configurationSchema, configurationVariables } from '../../gateway/main.js';
import { probeRoutes } from '../../gateway/http/probe-routes.js';

const DEPLOY = join(import.meta.dirname, '../../deploy');
const GATEWAY_IMAGE = 'settlement-gateway';
const DEFAULT_PORT = configSchema.shape.PORT.parse(undefined);

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function docs(file: string): Node[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    expect(d.errors, file).toEqual([]);
    return d.toJS() as unknown;
  }).filter(isNode);
}

interface GatewayContainer { where: string; env: Map<string, string | null>; ports: number[]; probes: Array<{ kind: string; path: unknown; port: unknown }>; mounts: Array<{ name: string; path: string }>; volumes: Node[] }

function k8sContainers(): GatewayContainer[] {
  const out: GatewayContainer[] = [];
  for (const file of readdirSync(join(DEPLOY, 'k8s')).filter((f) => f.endsWith('.yaml'))) {
    for (const doc of docs(join(DEPLOY, 'k8s', file))) {
      const spec = isNode(doc.spec) && isNode(doc.spec.template) && isNode(doc.spec.template.spec) ? doc.spec.template.spec : null;
      if (!spec) continue;
      for (const c of list(spec.containers).filter(isNode)) {
        if (!String(c.image).startsWith(GATEWAY_IMAGE)) continue;
        out.push({
          where: `${file} ${String(c.name)}`,
          env: new Map(list(c.env).filter(isNode).map((e) => [String(e.name), e.value === undefined ? null : String(e.value)])),
          ports: list(c.ports).filter(isNode).map((p) => Number(p.containerPort)),
          probes: (['livenessProbe', 'readinessProbe'] as const).map((kind) => {
            const probe = c[kind];
            const get = isNode(probe) && isNode(probe.httpGet) ? probe.httpGet : {};
            return { kind, path: get.path, port: get.port };
          }),
          mounts: list(c.volumeMounts).filter(isNode).map((m) => ({ name: String(m.name), path: String(m.mountPath) })),
          volumes: list(spec.volumes).filter(isNode),
        });
      }
    }
  }
  return out;
}

function composeGateway(): { env: Map<string, string | null>; ports: string[] } {
  const [compose] = docs(join(DEPLOY, 'docker-compose.yml'));
  const services = isNode(compose?.services) ? compose.services : {};
  const gateway = Object.values(services).filter(isNode).find((s) => String(s.image).startsWith(GATEWAY_IMAGE));
  expect(gateway, 'compose has a gateway service').toBeDefined();
  const env = isNode(gateway!.environment) ? new Map(Object.entries(gateway!.environment).map(([k, v]) => [k, v === null ? null : String(v)])) : new Map<string, string | null>();
  return { env, ports: list(gateway!.ports).map(String) };
}

describe('deploy/', () => {
  const containers = k8sContainers();

  it('has gateway containers in the Kubernetes manifests (api and relay)', () => {
    expect(containers.map((c) => c.where).sort()).toEqual(['gateway.yaml gateway', 'relay.yaml relay']);
  });

  it('sets only environment variables the configuration schema knows, with values it accepts', () => {
    // The core's variables and every part's (gateway/main.ts gathers them).
    const known = new Set(configurationVariables);
    const all = [...containers.map((c) => ({ where: c.where, env: c.env })), { where: 'docker-compose gateway', env: composeGateway().env }];
    for (const { where, env } of all) {
      for (const name of env.keys()) expect(known.has(name), `${where}: ${name} is not in gateway/config.ts nor a part's variables`).toBe(true);
      // Literal values must pass the schema (valueFrom ones are filled in at run time).
      const literal = Object.fromEntries([...env].filter(([, v]) => v !== null));
      const parsed = configurationSchema.safeParse(literal);
      expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), where).toEqual([]);
    }
  });

  it('listens where the code listens and probes the routes the app serves', () => {
    const served = probeRoutes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(served).toContain('GET /healthz');
    expect(served).toContain('GET /readyz');
    for (const c of containers) {
      const port = Number(c.env.get('PORT') ?? DEFAULT_PORT);
      expect(port, c.where).toBe(DEFAULT_PORT);
      expect(c.ports, c.where).toEqual([port]);
      expect(c.probes, c.where).toEqual([{ kind: 'livenessProbe', path: '/healthz', port }, { kind: 'readinessProbe', path: '/readyz', port }]);
    }
    const compose = composeGateway();
    expect(compose.ports).toEqual([`${DEFAULT_PORT}:${Number(compose.env.get('PORT') ?? DEFAULT_PORT)}`]);
  });

  it('mounts the programme ConfigMap at PROGRAMMES_DIR and the clients Secret under GATEWAY_CLIENTS_FILE', () => {
    for (const c of containers) {
      const volumeOf = (path: string) => c.volumes.find((v) => v.name === c.mounts.find((m) => m.path === path)?.name);
      const programmesDir = c.env.get('PROGRAMMES_DIR');
      const clientsFile = c.env.get('GATEWAY_CLIENTS_FILE');
      expect(programmesDir && isNode(volumeOf(programmesDir)?.configMap), `${c.where}: PROGRAMMES_DIR is a ConfigMap mount`).toBe(true);
      const clientsDir = clientsFile?.slice(0, clientsFile.lastIndexOf('/'));
      expect(clientsDir && isNode(volumeOf(clientsDir)?.secret), `${c.where}: GATEWAY_CLIENTS_FILE is in a Secret mount`).toBe(true);
    }
  });

  it('runs exactly one relay (per-person order) and no relay in the scaled API pods', () => {
    const relay = containers.find((c) => c.where.startsWith('relay.yaml'))!;
    const api = containers.find((c) => c.where.startsWith('gateway.yaml'))!;
    expect(relay.env.get('RELAY_ENABLED')).toBe('true');
    expect(api.env.get('RELAY_ENABLED')).toBe('false');
    const [deployment] = docs(join(DEPLOY, 'k8s', 'relay.yaml'));
    expect(deployment).toMatchObject({ kind: 'Deployment', spec: { replicas: 1, strategy: { type: 'Recreate' } } });
    const hpaTargets = readdirSync(join(DEPLOY, 'k8s')).flatMap((f) => docs(join(DEPLOY, 'k8s', f))).filter((d) => d.kind === 'HorizontalPodAutoscaler')
      .map((d) => (isNode(d.spec) && isNode(d.spec.scaleTargetRef) ? d.spec.scaleTargetRef.name : null));
    expect(hpaTargets).toEqual(['settlement-gateway']);
  });

  it('runs the API as a StatefulSet named per ordinal, and sets no pod its own Kafka transactional id (they are per consumed partition, from the shared KAFKA_CLIENT_ID)', () => {
    const all = readdirSync(join(DEPLOY, 'k8s')).flatMap((f) => docs(join(DEPLOY, 'k8s', f)));
    const api = all.find((d) => isNode(d.metadata) && d.metadata.name === 'settlement-gateway' && d.kind !== 'Service' && d.kind !== 'HorizontalPodAutoscaler' && d.kind !== 'PodDisruptionBudget')!;
    // Stable pod names (settlement-gateway-<ordinal>) in logs and metrics.
    expect(api).toMatchObject({ kind: 'StatefulSet', spec: { podManagementPolicy: 'Parallel' } });
    const spec = isNode(api.spec) ? api.spec : {};
    const governing = all.find((d) => d.kind === 'Service' && isNode(d.metadata) && d.metadata.name === spec.serviceName);
    expect(governing, 'the StatefulSet\'s governing Service exists').toMatchObject({ spec: { clusterIP: 'None' } });
    const template = isNode(spec.template) && isNode(spec.template.spec) ? spec.template.spec : {};
    const container = list(template.containers).filter(isNode)[0]!;
    // Every replica answers a partition under the same id, `<KAFKA_CLIENT_ID>-<group>-<topic>-<partition>`: one client id in the template.
    expect(list(container.env).filter(isNode).find((e) => e.name === 'KAFKA_CLIENT_ID')).toEqual({ name: 'KAFKA_CLIENT_ID', value: 'settlement-gateway' });
    const hpa = all.find((d) => d.kind === 'HorizontalPodAutoscaler');
    expect(hpa).toMatchObject({ spec: { scaleTargetRef: { kind: 'StatefulSet', name: 'settlement-gateway' } } });

    for (const c of containers) expect(c.env.has('KAFKA_TRANSACTIONAL_ID'), `${c.where}: a variable the gateway no longer reads`).toBe(false);
  });
});
