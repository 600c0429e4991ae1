/**
 * Timing of benchmark subjects. External tools run as child processes (peak RSS from GNU time when
 * present); our code runs in a child too (bench/child.ts), which times only the work itself and
 * reports its peak RSS. Subjects are measured side by side: run 1 of every subject, then run 2, …,
 * so noise on this shared machine spreads over all of them instead of hitting one.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Measurement, MeasurementStatus } from './bench-case.ts';
import { median } from './stats.ts';
import { GNU_TIME, hasGnuTime } from './tools.ts';

export interface RunSample {
  seconds: number;
  /** Peak resident set of the measured process in KiB, when known. */
  peakRssKiB?: number;
}

export interface Subject {
  label: string;
  /** 'ok' to run; otherwise the status printed instead of a time. */
  availability: MeasurementStatus;
  /** Bytes processed per run (for MB/s). */
  bytes?: number;
  note?: string;
  /** Untimed preparation before each run (e.g. removing the previous output). */
  before?: () => Promise<void>;
  run: () => Promise<RunSample>;
}

const BENCH_DIR = resolve(import.meta.dirname, '..');

/** Runs every available subject `runs` times, interleaved, and summarises each. */
export async function measureSideBySide(subjects: readonly Subject[], runs: number, log: (m: string) => void): Promise<Measurement[]> {
  const samples = subjects.map(() => [] as RunSample[]);
  const failures = subjects.map(() => undefined as string | undefined);
  for (let i = 0; i < runs; i += 1) {
    for (const [k, s] of subjects.entries()) {
      if (s.availability !== 'ok' || failures[k] !== undefined) continue;
      try {
        await s.before?.();
        const sample = await s.run();
        samples[k]?.push(sample);
        log(`  run ${i + 1}/${runs} ${s.label}: ${sample.seconds.toFixed(3)} s`);
      } catch (err) {
        failures[k] = (err as Error).message.split('\n').slice(0, 3).join(' | ');
        log(`  run ${i + 1}/${runs} ${s.label}: FAILED ${failures[k]}`);
      }
    }
  }
  return subjects.map((s, k) => summarise(s, samples[k] ?? [], failures[k]));
}

/** Turns the samples of one subject into a Measurement. */
export function summarise(s: Pick<Subject, 'label' | 'availability' | 'bytes' | 'note'>, samples: readonly RunSample[], failure?: string): Measurement {
  const m: Measurement = { label: s.label, status: s.availability, seconds: samples.map((x) => x.seconds) };
  if (s.bytes !== undefined) m.bytes = s.bytes;
  if (s.note !== undefined) m.note = s.note;
  if (failure !== undefined) {
    m.status = 'failed';
    m.note = failure;
    return m;
  }
  if (s.availability === 'ok' && samples.length > 0) {
    m.median = median(m.seconds);
    const rss = samples.flatMap((x) => (x.peakRssKiB === undefined ? [] : [x.peakRssKiB]));
    if (rss.length > 0) m.peakRssMB = (median(rss) * 1024) / 1e6;
  }
  return m;
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], cwd?: string): Promise<Exit> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < 1_000_000) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 100_000) stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/**
 * Times an external command (`sh -c` scripts included) from spawn to exit; peak RSS through GNU time
 * when available. Throws on a non-zero exit, with the end of stderr.
 */
export async function timeCommand(cmd: string, args: readonly string[], options: { cwd?: string; rssFile?: string } = {}): Promise<RunSample> {
  const useTime = hasGnuTime() && options.rssFile !== undefined;
  const start = process.hrtime.bigint();
  const exit = useTime
    ? await run(GNU_TIME, ['-f', '%M', '-o', options.rssFile as string, cmd, ...args], options.cwd)
    : await run(cmd, args, options.cwd);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (exit.code !== 0) throw new Error(`${cmd} exited with ${exit.code}: ${exit.stderr.trim().slice(-300)}`);
  const sample: RunSample = { seconds };
  if (useTime) {
    const text = await readFile(options.rssFile as string, 'utf8').catch(() => '');
    const kib = Number(text.trim().split('\n').at(-1));
    if (Number.isFinite(kib) && kib > 0) sample.peakRssKiB = kib;
    await rm(options.rssFile as string, { force: true });
  }
  return sample;
}

/** What bench/child.ts prints as its last stdout line. */
export interface ChildReport {
  seconds: number;
  maxRssKiB: number;
  result: unknown;
}

/**
 * Runs `task` exported by the case module `caseFile` (relative to bench/) in a fresh Node child and
 * returns its own timing of the work (Node and tsx start-up excluded) and its peak RSS.
 */
/** Args longer than this (as JSON) reach the child through a file (`@path`). */
const MAX_ARGV_JSON = 64 * 1024;

export async function runChildTask(caseFile: string, task: string, args: unknown): Promise<ChildReport> {
  const json = JSON.stringify(args);
  // One argv string holds at most 128 KiB (a 2 GiB tree's file list is more): larger args go by file.
  let argsFile: string | undefined;
  if (Buffer.byteLength(json) > MAX_ARGV_JSON) {
    argsFile = join(await mkdtemp(join(tmpdir(), 'patchdisc-bench-args-')), 'args.json');
    await writeFile(argsFile, json);
  }
  let exit;
  try {
    exit = await run(process.execPath, ['--import', 'tsx', join(BENCH_DIR, 'child.ts'), caseFile, task, argsFile === undefined ? json : `@${argsFile}`]);
  } finally {
    if (argsFile !== undefined) await rm(dirname(argsFile), { recursive: true, force: true });
  }
  const last = exit.stdout.trim().split('\n').at(-1) ?? '';
  if (exit.code !== 0) throw new Error(`child ${caseFile}#${task} exited with ${exit.code}: ${exit.stderr.trim().slice(-400)}`);
  try {
    return JSON.parse(last) as ChildReport;
  } catch {
    throw new Error(`child ${caseFile}#${task} printed no report: ${exit.stdout.slice(-200)} ${exit.stderr.slice(-200)}`);
  }
}

/** A Subject's run() for a child task. */
export function childSample(caseFile: string, task: string, args: unknown): () => Promise<RunSample> {
  return async () => {
    const r = await runChildTask(caseFile, task, args);
    return { seconds: r.seconds, peakRssKiB: r.maxRssKiB };
  };
}
