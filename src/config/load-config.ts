import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { PatchdiscError } from '../errors.ts';
import { appConfigSchema, type AppConfig } from './app-config-schema.ts';
import { loadYamlFile } from './load-yaml.ts';
import { pipelineSchema, type PipelineDefinition } from './pipeline-schema.ts';

export const CONFIG_FILE_NAME = 'patchdisc.yaml';

export interface LoadedConfig {
  dataDir: string;
  configPath: string;
  config: AppConfig;
  /** Absolute folder of the pipeline files. */
  pipelinesDir: string;
}

/** Loads `<data>/patchdisc.yaml` (or `configPath`); a missing file means all defaults. */
export async function loadConfig(dataDir: string, configPath?: string): Promise<LoadedConfig> {
  const path = configPath ?? join(dataDir, CONFIG_FILE_NAME);
  let config: AppConfig;
  if (configPath === undefined && !existsSync(path)) {
    config = appConfigSchema.parse({});
  } else {
    config = await loadYamlFile(path, appConfigSchema);
  }
  return { dataDir, configPath: path, config, pipelinesDir: resolveFrom(dataDir, config.pipelinesDir) };
}

/** Resolves `p` against `base` unless it is absolute. */
export function resolveFrom(base: string, p: string): string {
  return isAbsolute(p) ? p : join(base, p);
}

/** Loads every `*.yaml` pipeline in `dir`; the file name must equal the pipeline's `name`. */
export async function loadPipelines(dir: string): Promise<PipelineDefinition[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.yaml') || n.endsWith('.yml')).sort();
  } catch {
    return [];
  }
  const pipelines: PipelineDefinition[] = [];
  for (const n of names) {
    const file = join(dir, n);
    const p = await loadYamlFile(file, pipelineSchema);
    const base = n.replace(/\.ya?ml$/, '');
    if (p.name !== base) {
      throw new PatchdiscError('CONFIG_INVALID', `Cannot load ${file}: name (line 1): "${p.name}" must equal the file name "${base}"`, {
        details: { file, keyPath: 'name' },
      });
    }
    pipelines.push(p);
  }
  return pipelines;
}

/** Picks pipelines by name; an unknown name is a usage error listing the known ones. */
export function pickPipelines(all: PipelineDefinition[], names: string[]): PipelineDefinition[] {
  if (names.length === 0) return all;
  return names.map((name) => {
    const p = all.find((x) => x.name === name);
    if (!p) {
      const known = all.map((x) => x.name).join(', ') || 'none';
      throw new PatchdiscError('USAGE', `Cannot select pipeline ${name}: no such pipeline (known: ${known})`);
    }
    return p;
  });
}
