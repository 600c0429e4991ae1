/**
 * rerun: `patchdisc build` of a week that is already built, the way cron reruns it (issue 2: "a
 * rerun of a finished week changes nothing, needs no network … and says up to date"). Set-up, once
 * and untimed: `patchdisc demo` builds two weeks into a data dir and stops its embedded upstream, so
 * the timed rerun has no server to talk to. Each run is a whole CLI process, Node start-up included,
 * because that is what the release engineer waits for. References: the same CLI doing nothing but
 * start (`patchdisc --version`: the floor any command pays) and the first build of those weeks
 * (`patchdisc demo` into a fresh data dir, its upstream included). Every rerun must print "up to
 * date", exit 0 and leave every file of the data dir as it was.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { BenchCase, CaseResult } from '../lib/bench-case.ts';
import { measureSideBySide, type RunSample, type Subject } from '../lib/measure.ts';
import { ratio } from '../lib/stats.ts';
import { srcAvailability } from '../lib/tools.ts';

const BIN = resolve(import.meta.dirname, '../../bin/patchdisc.mjs');
/** Fixed weeks, so that every run builds the same discs. */
const FIRST_WEEK = '2026-W40';
const SECOND_WEEK = '2026-W41';

/** Runs the CLI to its exit; the sample is spawn to exit. Throws on a non-zero exit. */
async function timeCli(args: readonly string[]): Promise<RunSample & { stdout: string }> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((done, fail) => {
    child.on('error', fail);
    child.on('close', done);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (code !== 0) throw new Error(`patchdisc ${args.join(' ')} exited with ${code}: ${stderr.trim().slice(-300)}`);
  return { seconds, stdout };
}

/** Every file of a data dir but its logs, with its SHA-256: a no-op rerun must not change one. */
function fingerprint(dir: string): string {
  const lines: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const rel = relative(dir, join(e.parentPath, e.name));
    // Logs record each run; SQLite's -shm index may be rewritten by any reader.
    if (rel.startsWith('logs/') || rel.endsWith('.db-shm') || rel.endsWith('.db-wal') || rel === 'status.json') continue;
    lines.push(`${rel} ${createHash('sha256').update(readFileSync(join(dir, rel))).digest('hex')}`);
  }
  return lines.sort().join('\n');
}

export const benchCase: BenchCase = {
  name: 'rerun',
  goal: 'none set (info)',
  async run(ctx): Promise<CaseResult[]> {
    const built = join(ctx.tmp, 'rerun-built');
    const fresh = join(ctx.tmp, 'rerun-fresh');
    const availability = srcAvailability('cli/main.ts', 'pipeline/run-week.ts');
    let before = '';
    if (availability === 'ok') {
      ctx.log('  set-up: patchdisc demo (two weeks, then its upstream stops)');
      await timeCli(['demo', '--data', built, '--week', FIRST_WEEK, '--quiet']);
      before = fingerprint(built);
    }
    const subjects: Subject[] = [
      {
        label: 'ours',
        availability,
        note: `patchdisc build --week ${SECOND_WEEK} of a built week, no upstream running`,
        run: async () => {
          const r = await timeCli(['build', '--data', built, '--week', SECOND_WEEK]);
          if (!/up to date/.test(r.stdout)) throw new Error(`the rerun did not say "up to date": ${r.stdout.trim().slice(-300)}`);
          const after = fingerprint(built);
          if (after !== before) throw new Error('the rerun changed files of the data dir');
          return { seconds: r.seconds };
        },
      },
      {
        label: 'CLI start-up (patchdisc --version)',
        availability,
        run: async () => ({ seconds: (await timeCli(['--version'])).seconds }),
      },
      {
        label: 'first build (patchdisc demo, 2 weeks)',
        availability,
        before: () => rm(fresh, { recursive: true, force: true }),
        run: async () => ({ seconds: (await timeCli(['demo', '--data', fresh, '--week', FIRST_WEEK, '--quiet'])).seconds }),
      },
    ];
    const [ours, ...refs] = await measureSideBySide(subjects, ctx.runs, ctx.log);
    await rm(fresh, { recursive: true, force: true });
    const startup = refs[0];
    const overStartup = ours?.median !== undefined && startup?.median !== undefined ? ours.median - startup.median : undefined;
    const vsFirst = ratio(ours?.median, refs[1]?.median);
    return [
      {
        name: 'rerun',
        goal: this.goal,
        ours: ours!,
        refs,
        verdict: 'n/a',
        notes: [
          'each rerun printed "up to date", exited 0 and left every file of the data dir (logs aside) byte-identical; no upstream was running',
          `beyond CLI start-up: ${overStartup === undefined ? 'n/a' : `${overStartup.toFixed(3)} s`}; rerun/first build ${vsFirst === undefined ? 'n/a' : `${(vsFirst * 100).toFixed(1)} %`}`,
        ],
      },
    ];
  },
};
