import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import type { AppConfig } from '../config/app-config-schema.ts';
import { loadConfig, loadPipelines } from '../config/load-config.ts';
import type { PipelineDefinition } from '../config/pipeline-schema.ts';
import { createProxyDispatcher } from '../fetch/proxy.ts';
import { openLedger, type Ledger } from '../ledger/open-ledger.ts';
import { resolveDataDir, Reporter, type CliIo, type GlobalOptions } from './cli-io.ts';

export interface Workspace {
  dataDir: string;
  config: AppConfig;
  configPath: string;
  pipelinesDir: string;
  pipelines: PipelineDefinition[];
  ledger: Ledger;
  reporter: Reporter;
  dispatcher: Dispatcher | undefined;
  close(): Promise<void>;
}

/**
 * Loads the config and pipelines of the data dir and opens its ledger and log. `readOnlyLedger`
 * (previews): the ledger is opened read-only, or is an empty in-memory one when absent.
 */
export async function openWorkspace(g: GlobalOptions, io: CliIo, now: Date = new Date(), options: { readOnlyLedger?: boolean } = {}): Promise<Workspace> {
  const dataDir = resolveDataDir(g, io);
  const loaded = await loadConfig(dataDir, g.config);
  const pipelines = await loadPipelines(loaded.pipelinesDir);
  const reporter = new Reporter(g, io);
  reporter.openLog(dataDir, now);
  const ledger = await openLedger(join(dataDir, 'patchdisc.db'), { readOnly: options.readOnlyLedger === true });
  const env = loaded.config.proxy ? { ...io.env, HTTPS_PROXY: loaded.config.proxy, HTTP_PROXY: loaded.config.proxy } : io.env;
  return {
    dataDir,
    config: loaded.config,
    configPath: loaded.configPath,
    pipelinesDir: loaded.pipelinesDir,
    pipelines,
    ledger,
    reporter,
    dispatcher: createProxyDispatcher(env),
    close: async () => {
      reporter.flush();
      await ledger.close();
    },
  };
}
