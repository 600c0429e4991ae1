import type { Dispatcher } from 'undici';
import type { AppConfig } from '../config/app-config-schema.ts';
import type { PipelineDefinition } from '../config/pipeline-schema.ts';
import type { Ledger } from '../ledger/open-ledger.ts';

/** Where a build reports what it does; the CLI renders these as progress bars, lines or JSON logs. */
export interface BuildEvents {
  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>): void;
  stage?(pipeline: string, stage: string, state: 'start' | 'done' | 'skipped'): void;
  downloadProgress?(p: { received: number; total: number; files: number; filesTotal: number }): void;
  masterProgress?(p: { iso: string; written: number; total: number }): void;
}

/** Everything a build needs, passed in so tests can inject a clock, a temp dir, a fetch dispatcher. */
export interface BuildContext {
  dataDir: string;
  config: AppConfig;
  pipelines: PipelineDefinition[];
  ledger: Ledger;
  now: () => Date;
  events: BuildEvents;
  /** Passphrase of the signing key (from PATCHDISC_KEY_PASSPHRASE, a prompt, or the demo config). */
  passphrase: string | undefined;
  /** undici Dispatcher for proxies; undefined = direct. */
  dispatcher?: Dispatcher | undefined;
  signal?: AbortSignal;
}

export const STAGES = ['sync', 'select', 'fetch', 'plan', 'master', 'record', 'report'] as const;
export type StageName = (typeof STAGES)[number];
