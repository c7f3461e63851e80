/**
 * Renders a Helm chart's templates the way `helm template` would, for the unit tests (helm is not
 * installed here): values.yaml deep-merged with override files (maps merge, anything else
 * replaces, null deletes), the built-in objects the Seamless chart uses, every YAML document of
 * the output parsed.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { Renderer, TemplateError } from './go-template.js';

export type Tree = Record<string, unknown>;

export interface RenderedChart {
  /** Chart.yaml. */
  readonly chart: Tree;
  /** The merged values the templates saw. */
  readonly values: Tree;
  /** Template file name → rendered text (helpers excluded). */
  readonly outputs: ReadonlyMap<string, string>;
  /** Every non-empty YAML document of the YAML templates' output. */
  readonly documents: readonly Tree[];
}

export interface RenderOptions {
  /** Applied over values.yaml, in order (like repeated `-f`). */
  readonly values?: readonly Tree[];
  readonly releaseName?: string;
  readonly namespace?: string;
}

export function isTree(v: unknown): v is Tree {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function readYaml(file: string): unknown {
  return parse(readFileSync(file, 'utf8'));
}

export function mergeValues(base: Tree, override: Tree): Tree {
  const out: Tree = structuredClone(base);
  for (const [k, v] of Object.entries(override)) {
    if (v === null) delete out[k];
    else if (isTree(v) && isTree(out[k])) out[k] = mergeValues(out[k], v);
    else out[k] = structuredClone(v);
  }
  return out;
}

export function renderChart(dir: string, options: RenderOptions = {}): RenderedChart {
  const chart = readYaml(join(dir, 'Chart.yaml'));
  const defaults = readYaml(join(dir, 'values.yaml'));
  if (!isTree(chart) || !isTree(defaults)) throw new TemplateError(`${dir}: Chart.yaml and values.yaml must be mappings`);
  const values = (options.values ?? []).reduce(mergeValues, defaults);
  const templatesDir = join(dir, 'templates');
  const files = new Map(readdirSync(templatesDir).sort().map((name) => [name, readFileSync(join(templatesDir, name), 'utf8')] as const));
  const root = {
    Values: values,
    Release: { Name: options.releaseName ?? 'seamless', Namespace: options.namespace ?? 'default', Service: 'Helm', IsInstall: true, IsUpgrade: false, Revision: 1 },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion, Description: chart.description },
    Template: { BasePath: `${String(chart.name)}/templates` },
  };
  const renderer = new Renderer(files, root);
  const outputs = new Map<string, string>();
  const documents: Tree[] = [];
  for (const name of files.keys()) {
    const out = renderer.render(name);
    if (name.startsWith('_')) continue;
    outputs.set(name, out);
    if (!/\.ya?ml$/.test(name)) continue;
    for (const doc of parseAllDocuments(out)) {
      if (doc.errors.length > 0) throw new TemplateError(`${name} renders invalid YAML: ${doc.errors[0].message}\n${out}`);
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) continue;
      if (!isTree(value)) throw new TemplateError(`${name} renders a document that is not a mapping`);
      documents.push(value);
    }
  }
  return { chart, values, outputs, documents };
}
