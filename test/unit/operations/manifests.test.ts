/**
 * Keeps the deployment manifests (operations/helm/seamless, operations/compose, the Dockerfile)
 * honest without a Docker engine, helm or a cluster — none exists on the build machine: every
 * YAML file parses, the chart renders (test-only renderer, go-template.ts) into YAML documents,
 * every configuration the components would read passes Seamless's own schema with the
 * environment the manifests give them, and every container runs a real `seamless` command with
 * real flags. A renamed config key, env variable or CLI flag fails here.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { effectiveScopes } from '../../../src/gateway/internal.js';
import type { SeamlessConfig } from '../../../src/config/index.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { checkInvocation } from './cli-invocation.js';
import { Renderer, TemplateError, TemplateFailure } from './go-template.js';
import { environmentOf, interpolate } from './compose-file.js';
import type { ComposeService } from './compose-file.js';
import { isTree, readYaml, renderChart } from './helm-chart.js';
import type { RenderedChart, Tree } from './helm-chart.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const chartDir = join(root, 'operations/helm/seamless');
const composeDir = join(root, 'operations/compose');
const packageVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const ciValues = readYaml(join(chartDir, 'ci/test-values.yaml')) as Tree;

interface EnvVar { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: { name: string; mountPath: string }[];
}

let scratch: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => { scratch = await tempDir('seamless-manifests-'); });
afterAll(async () => { await scratch.remove(); });

/** Loads a seamless.yml text the way a component does: file, then its SEAMLESS_* environment. */
function loadWith(text: string, env: Record<string, string>): SeamlessConfig {
  const file = join(scratch.path, `seamless-${createHash('sha256').update(text).digest('hex').slice(0, 12)}.yml`);
  writeFileSync(file, text);
  return loadConfig({ file, env }).config;
}

function option(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i === -1 ? undefined : args[i + 1];
}

// ---------------------------------------------------------------------------------- Helm chart

function kindNamed(r: RenderedChart, kind: string, name: string): Tree {
  const doc = r.documents.find((d) => d.kind === kind && isTree(d.metadata) && d.metadata.name === name);
  if (doc === undefined) throw new TemplateError(`no ${kind} ${name} rendered`);
  return doc;
}

function deployments(r: RenderedChart): Tree[] {
  return r.documents.filter((d) => d.kind === 'Deployment');
}

function podSpec(deployment: Tree): { containers: Container[]; volumes: Tree[]; annotations: Record<string, string> } {
  const template = (deployment.spec as Tree).template as Tree;
  const spec = template.spec as Tree;
  return {
    containers: spec.containers as Container[],
    volumes: (spec.volumes ?? []) as Tree[],
    annotations: ((template.metadata as Tree).annotations ?? {}) as Record<string, string>,
  };
}

function component(deployment: Tree): string {
  return String(((deployment.metadata as Tree).labels as Tree)['app.kubernetes.io/component']);
}

/** The container's environment as the kubelet builds it: Secret values stubbed, $(VAR) expanded. */
function containerEnv(c: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of c.env ?? []) {
    const ref = v.valueFrom?.secretKeyRef;
    if (ref !== undefined) {
      expect(ref.name, `${c.name}: ${v.name} names a Secret`).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
      env[v.name] = `stubSecret${ref.key.replace(/[^A-Za-z0-9]/g, '')}`;
    } else {
      expect(v.value, `${c.name}: ${v.name} has a value`).toBeTypeOf('string');
      env[v.name] = String(v.value).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m);
    }
  }
  return env;
}

function configMapText(r: RenderedChart): string {
  const cm = r.documents.find((d) => d.kind === 'ConfigMap');
  const text = isTree(cm) && isTree(cm.data) ? cm.data['seamless.yml'] : undefined;
  if (typeof text !== 'string') throw new TemplateError('no ConfigMap with seamless.yml rendered');
  return text;
}

describe('Helm chart (operations/helm/seamless)', () => {
  const chart = readYaml(join(chartDir, 'Chart.yaml')) as Tree;
  const defaults = readYaml(join(chartDir, 'values.yaml')) as Tree;
  // Rendered before the cases (a template error fails them all with its message, naming the file and line).
  let rendered: RenderedChart;
  beforeAll(() => { rendered = renderChart(chartDir, { values: [ciValues] }); });

  it('is an apiVersion v2 chart packaging this Seamless release', () => {
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'seamless', type: 'application' });
    expect(chart.appVersion).toBe(packageVersion);
    expect(String(chart.version)).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('depends on etcd, nats and postgresql, each with a version, a repository and a condition that values.yaml switches', () => {
    const deps = chart.dependencies as Tree[];
    expect(deps.map((d) => d.name).sort()).toEqual(['etcd', 'nats', 'postgresql']);
    for (const d of deps) {
      expect(d.version, `${String(d.name)} version`).toMatch(/^[\d.x*~^<>=\s-]+$/);
      expect(d.repository, `${String(d.name)} repository`).toMatch(/^(https:\/\/|oci:\/\/)/);
      expect(d.condition, `${String(d.name)} condition`).toBe(`${String(d.name)}.enabled`);
      const [key, flag] = String(d.condition).split('.');
      expect(isTree(defaults[key]) && defaults[key][flag], `values.yaml ${String(d.condition)}`).toBe(true);
    }
  });

  it('reads only values that values.yaml declares, in every branch of every template', () => {
    const templatesDir = join(chartDir, 'templates');
    const missing: string[] = [];
    for (const name of readdirSync(templatesDir)) {
      const source = readFileSync(join(templatesDir, name), 'utf8');
      for (const [, path] of source.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        const found = path.slice(1).split('.').reduce<{ node: unknown } | undefined>(
          (at, key) => (at !== undefined && isTree(at.node) && Object.hasOwn(at.node, key) ? { node: at.node[key] } : undefined), { node: defaults });
        if (found === undefined) missing.push(`${name}: .Values${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('renders every template into YAML documents that parse, with the CI values', () => {
    const kinds = rendered.documents.map((d) => `${String(d.kind)}/${String((d.metadata as Tree).name)}`).sort();
    expect(kinds).toEqual([
      'ConfigMap/seamless-config', 'Deployment/seamless-coordinator', 'Deployment/seamless-gateway', 'Deployment/seamless-worker',
      'Service/seamless-coordinator', 'Service/seamless-gateway',
    ]);
    for (const d of rendered.documents) expect(d.apiVersion, `${String(d.kind)} apiVersion`).toMatch(/^(v1|apps\/v1)$/);
    expect(rendered.outputs.get('NOTES.txt')).toContain('kubectl scale deployment/seamless-worker');
  });

  it('renders the other branches too: an external database, dependencies and scraping off, pull secrets and placement', () => {
    const r = renderChart(chartDir, {
      releaseName: 'md',
      values: [ciValues, {
        postgresql: { enabled: false }, etcd: { enabled: false }, nats: { enabled: false },
        externalDatabase: { existingSecret: 'seamless-db' }, metrics: { scrape: false },
        imagePullSecrets: [{ name: 'registry' }], image: { tag: 'abc123' },
        gateway: { nodeSelector: { pool: 'gateway' }, tolerations: [{ key: 'k', operator: 'Exists' }], affinity: { podAntiAffinity: {} } },
      }],
    });
    const gateway = kindNamed(r, 'Deployment', 'md-seamless-gateway');
    const { containers, annotations } = podSpec(gateway);
    expect(containers[0].env).toEqual([{ name: 'SEAMLESS_STORAGE_URL', valueFrom: { secretKeyRef: { name: 'seamless-db', key: 'url' } } }]);
    expect(containers[0]).toMatchObject({ image: 'seamless:abc123' });
    expect(annotations['prometheus.io/scrape']).toBeUndefined();
    expect(((gateway.spec as Tree).template as Tree).spec).toMatchObject({ imagePullSecrets: [{ name: 'registry' }], nodeSelector: { pool: 'gateway' } });
  });

  it('refuses to render without API keys, the API key Secret or the external database Secret, naming the value', () => {
    expect(() => renderChart(chartDir)).toThrow(TemplateFailure);
    expect(() => renderChart(chartDir)).toThrow(/config\.auth\.keys/);
    expect(() => renderChart(chartDir, { values: [ciValues, { apiKey: { existingSecret: '' } }] })).toThrow(/apiKey\.existingSecret/);
    expect(() => renderChart(chartDir, { values: [ciValues, { postgresql: { enabled: false } }] })).toThrow(/externalDatabase\.existingSecret/);
  });

  it('renders a seamless.yml that the configuration schema accepts in every component, with that component\'s environment', () => {
    const text = configMapText(rendered);
    for (const d of deployments(rendered)) {
      const [c] = podSpec(d).containers;
      const config = loadWith(text, containerEnv(c));
      expect(config.seamless.backfill.store).toBe('etcd');
      expect(config.seamless.backfill.etcd.endpoints).toEqual(['http://seamless-etcd:2379']);
      expect(config.seamless.events.nats?.servers).toEqual(['nats://seamless-nats:4222']);
      expect(config.tracing.endpoint).toBe('http://otel-collector.observability:4318');
      if (component(d) === 'worker') {
        // Workers never open the database: no password in their environment.
        expect(config.storage.engine).toBe('duckdb');
        expect(c.env?.some((v) => v.name === 'SEAMLESS_STORAGE_URL' || v.name === 'PGPASSWORD')).toBe(false);
      } else {
        expect(config.storage).toMatchObject({ engine: 'postgres', url: 'postgres://seamless:stubSecretpassword@seamless-postgresql:5432/seamless' });
      }
    }
  });

  it('runs a real seamless command with real flags in every container', () => {
    const commands = deployments(rendered).map((d) => {
      const [c] = podSpec(d).containers;
      expect(c.command, `${c.name} command`).toEqual(['seamless']);
      const invocation = checkInvocation(c.args ?? []);
      expect(invocation.problems, `${c.name}: seamless ${(c.args ?? []).join(' ')}`).toEqual([]);
      return [component(d), invocation.command];
    });
    expect(Object.fromEntries(commands)).toEqual({ gateway: 'serve', coordinator: 'coordinator serve', worker: 'worker' });
  });

  it('points the workers at the coordinator Service, and listens where the Services and probes look', () => {
    const service = kindNamed(rendered, 'Service', 'seamless-coordinator');
    const port = ((service.spec as Tree).ports as Tree[])[0].port;
    const [worker] = podSpec(kindNamed(rendered, 'Deployment', 'seamless-worker')).containers;
    expect(option(worker.args ?? [], '--coordinator')).toBe(`http://seamless-coordinator:${String(port)}`);
    for (const name of ['seamless-gateway', 'seamless-coordinator']) {
      const [c] = podSpec(kindNamed(rendered, 'Deployment', name)).containers;
      const http = c.ports?.find((p) => p.name === 'http');
      expect(String(http?.containerPort)).toBe(option(c.args ?? [], '--port'));
      expect(option(c.args ?? [], '--host')).toBe('0.0.0.0');
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'http' });
      const svc = kindNamed(rendered, 'Service', name);
      expect(((svc.spec as Tree).ports as Tree[])[0].targetPort).toBe('http');
      expect((svc.spec as Tree).selector).toEqual(((kindNamed(rendered, 'Deployment', name).spec as Tree).selector as Tree).matchLabels);
    }
  });

  it('asks Prometheus to scrape /metrics of the gateway and coordinator pods on their port', () => {
    for (const name of ['seamless-gateway', 'seamless-coordinator']) {
      const { containers, annotations } = podSpec(kindNamed(rendered, 'Deployment', name));
      expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics', 'prometheus.io/port': option(containers[0].args ?? [], '--port') });
      expect(annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('mounts the ConfigMap where --config points and a writable volume where --data-dir points', () => {
    for (const d of deployments(rendered)) {
      const { containers, volumes } = podSpec(d);
      const [c] = containers;
      const mountOf = (path: string | undefined): string | undefined => c.volumeMounts?.find((m) => path !== undefined && (path === m.mountPath || path.startsWith(`${m.mountPath}/`)))?.name;
      const configVolume = volumes.find((v) => v.name === mountOf(option(c.args ?? [], '--config')));
      expect(configVolume?.configMap, `${c.name} --config volume`).toEqual({ name: 'seamless-config' });
      const dataDir = option(c.args ?? [], '--data-dir');
      if (dataDir !== undefined) expect(volumes.find((v) => v.name === mountOf(dataDir)), `${c.name} --data-dir volume`).toMatchObject({ emptyDir: {} });
    }
  });
});

// ----------------------------------------------------------------------------- docker compose

describe('docker compose (operations/compose)', () => {
  const composeText = readFileSync(join(composeDir, 'docker-compose.yml'), 'utf8');
  const problems: string[] = [];
  const compose = interpolate(parse(composeText, { merge: true }), {}, problems) as { services: Record<string, ComposeService>; volumes?: Tree };
  const services = compose.services;
  const seamlessText = readFileSync(join(composeDir, 'seamless.yml'), 'utf8');
  const seamlessServices = ['gateway', 'coordinator', 'worker'];

  it('parses, every variable has a default, and it runs gateway, coordinator, two workers, etcd, NATS, PostgreSQL and Prometheus', () => {
    expect(problems).toEqual([]);
    expect(Object.keys(services).sort()).toEqual(['coordinator', 'etcd', 'gateway', 'nats', 'postgres', 'prometheus', 'worker']);
    expect(services.worker.deploy?.replicas).toBe(2);
    expect(services.nats.command).toContain('-js');
    for (const name of Object.keys(services)) expect(services[name].image, `${name} image`).toMatch(/:[\w.-]+$/);
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0];
        if (source.startsWith('.')) expect(existsSync(join(composeDir, source)), `${name} mounts ${source}`).toBe(true);
        else expect(compose.volumes && Object.hasOwn(compose.volumes, source), `${name}: volume ${source} declared`).toBe(true);
      }
    }
  });

  it('validates seamless.yml through the configuration schema with each Seamless service\'s environment', () => {
    for (const name of seamlessServices) {
      const config = loadWith(seamlessText, environmentOf(services[name]));
      expect(config.seamless.backfill).toMatchObject({ store: 'etcd', localWorkers: 0 });
      expect(config.seamless.backfill.etcd.endpoints).toEqual(['http://etcd:2379']);
      expect(config.seamless.events.nats?.servers).toEqual(['nats://nats:4222']);
      if (name === 'worker') expect(config.storage.engine).toBe('duckdb');
      else expect(config.storage).toMatchObject({ engine: 'postgres', url: 'postgres://seamless:seamless@postgres:5432/seamless' });
    }
  });

  it('runs real seamless commands with real flags, with seamless.yml mounted where --config points', () => {
    const commands = seamlessServices.map((name) => {
      const s = services[name];
      const invocation = checkInvocation(s.command ?? []);
      expect(invocation.problems, `${name}: seamless ${(s.command ?? []).join(' ')}`).toEqual([]);
      expect(s.volumes).toContain(`./seamless.yml:${option(s.command ?? [], '--config') ?? ''}:ro`);
      return invocation.command;
    });
    expect(commands).toEqual(['serve', 'coordinator serve', 'worker']);
    const coordinatorPort = option(services.coordinator.command ?? [], '--port');
    expect(option(services.worker.command ?? [], '--coordinator')).toBe(`http://coordinator:${coordinatorPort ?? ''}`);
    for (const name of ['gateway', 'coordinator']) {
      expect(services[name].healthcheck?.test.join(' ')).toContain(`http://127.0.0.1:${option(services[name].command ?? [], '--port') ?? ''}/healthz`);
    }
  });

  it('gives the workers the secret of a seamless.yml key with the worker scope (admin implies it)', () => {
    const key = environmentOf(services.worker).SEAMLESS_API_KEY;
    const hash = `sha256:${createHash('sha256').update(key).digest('hex')}`;
    const config = loadWith(seamlessText, environmentOf(services.worker));
    expect(effectiveScopes(config.auth.keys.find((k) => k.secretHash === hash)?.scopes ?? []).has('worker')).toBe(true);
  });

  it('scrapes the gateway and the coordinator from prometheus.yml', () => {
    const prometheus = readYaml(join(composeDir, 'prometheus.yml')) as { scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[] };
    const targets = prometheus.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets.map((t) => `${t}${j.metrics_path ?? '/metrics'}`)));
    for (const name of ['gateway', 'coordinator']) {
      expect(targets).toContain(`${name}:${option(services[name].command ?? [], '--port') ?? ''}/metrics`);
    }
    expect(services.prometheus.volumes).toContain('./prometheus.yml:/etc/prometheus/prometheus.yml:ro');
  });

  const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!promtool)('has a prometheus.yml that promtool accepts', () => {
    const r = spawnSync('promtool', ['check', 'config', join(composeDir, 'prometheus.yml')], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('builds the Seamless image from a Dockerfile whose copied paths exist, with seamless as its entrypoint', () => {
    const build = services.gateway.build;
    expect(build).toBeDefined();
    const dockerfile = join(composeDir, build?.context ?? '', build?.dockerfile ?? '');
    expect(join(composeDir, build?.context ?? '')).toBe(root.replace(/\/$/, ''));
    const lines = readFileSync(dockerfile, 'utf8').split('\n');
    for (const line of lines.filter((l) => l.startsWith('COPY '))) {
      for (const source of line.split(/\s+/).slice(1, -1)) expect(existsSync(join(root, source)), `COPY ${source}`).toBe(true);
    }
    expect(lines).toContain('ENTRYPOINT ["seamless"]');
    expect(lines.join('\n')).toContain('ln -s /app/bin/seamless.js /usr/local/bin/seamless');
    expect(existsSync(join(root, 'bin/seamless.js'))).toBe(true);
    // `npm ci --omit=dev` in the image: the launcher's TypeScript loader must be a runtime dependency.
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.tsx).toBeDefined();
    for (const name of seamlessServices) expect(services[name].image).toBe(`seamless:${packageVersion}`);
  });
});

// ------------------------------------------------------------------- the checks catch mistakes

describe('the manifest checks', () => {
  it('reject a renamed configuration key in the chart values', () => {
    const r = renderChart(chartDir, { values: [ciValues, { config: { seamless: { backfill: { leaseStore: 'etcd' } } } }] });
    const [gateway] = podSpec(kindNamed(r, 'Deployment', 'seamless-gateway')).containers;
    expect(() => loadWith(configMapText(r), containerEnv(gateway))).toThrow(/leaseStore/);
  });

  it('reject an unknown command, an unknown flag, a bad flag value and a missing required flag', () => {
    expect(checkInvocation(['gateway']).problems).toEqual([expect.stringContaining('not a seamless command')]);
    expect(checkInvocation(['coordinator', 'serve', '--etcd', 'http://etcd:2379']).problems).toEqual([expect.stringContaining('--etcd')]);
    expect(checkInvocation(['coordinator', 'serve', '--store', 'zookeeper']).problems).toEqual([expect.stringContaining('zookeeper')]);
    expect(checkInvocation(['serve', '--port', 'http']).problems).toEqual([expect.stringContaining('--port')]);
    expect(checkInvocation(['worker', '--concurrency', '2']).problems).toEqual([expect.stringContaining('--coordinator')]);
  });

  it('reject a template that reads a value values.yaml does not have', () => {
    const renderer = new Renderer(new Map([['t.yaml', 'port: {{ .Values.gateway.prot }}']]), { Values: { gateway: { port: 8080 } } });
    expect(() => renderer.render('t.yaml')).toThrow(/\.Values\.gateway\.prot/);
  });
});
