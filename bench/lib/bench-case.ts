/** The shape every benchmark case and its results share. */
import type { Tree } from './tree.ts';

export type MeasurementStatus = 'ok' | 'tool missing' | 'not available' | 'failed';

/** One subject (ours or a reference) measured over several runs. */
export interface Measurement {
  label: string;
  status: MeasurementStatus;
  /** Wall time of each run in seconds. */
  seconds: number[];
  /** Median of `seconds`; undefined unless status is ok. */
  median?: number;
  /** Bytes processed per run, for MB/s. */
  bytes?: number;
  /** Median peak RSS in MB (10^6 B) when measured. */
  peakRssMB?: number;
  /** Why it failed, what it includes. */
  note?: string;
}

export type Verdict = 'meets' | 'misses' | 'n/a';

export interface CaseResult {
  /** Case name, with a sub-name after ':' when a case reports several rows (e.g. 'cab:lzx'). */
  name: string;
  goal: string;
  ours: Measurement;
  refs: Measurement[];
  verdict: Verdict;
  /** Extra facts worth printing (ratios to other references, p95, bytes refetched). */
  notes: string[];
}

export interface BenchContext {
  /** Bytes of the generated update tree (--size). */
  sizeBytes: number;
  /** Runs per subject (--runs, at least 3 for a median worth printing). */
  runs: number;
  /** This run's temp root, os.tmpdir()/patchdisc-bench-*, removed at the end. */
  tmp: string;
  /** The update tree, generated on first use and shared between cases. */
  tree(): Promise<Tree>;
  log(message: string): void;
}

export interface BenchCase {
  name: string;
  goal: string;
  run(ctx: BenchContext): Promise<CaseResult[]>;
}
