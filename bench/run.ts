/**
 * `npm run bench [-- --size 2GiB|256MiB] [--json] [--only <case>] [--runs N]`
 *
 * The tree is 2 GiB by default, the size the goals of the master and download cases are set at
 * (issues 4 and 5); `--size 256MiB` is a quicker look that is not the goals' size.
 *
 * Runs every case in sequence, each measuring our code side by side with its references (median of
 * N ≥ 3 runs), and prints one table with ratios ours/reference and the goal verdicts. All data lives
 * under os.tmpdir()/patchdisc-bench-* and is removed at the end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BenchCase, BenchContext, CaseResult } from './lib/bench-case.ts';
import { parseSize, ratio } from './lib/stats.ts';
import { formatTable } from './lib/table.ts';
import { writeTree, type Tree } from './lib/tree.ts';
import { hasGnuTime, hasTool, REFERENCE_TOOLS } from './lib/tools.ts';
import { benchCase as master } from './cases/master.ts';
import { benchCase as verify } from './cases/verify.ts';
import { benchCase as download } from './cases/download.ts';
import { benchCase as cab } from './cases/cab.ts';
import { benchCase as packageXml } from './cases/package-xml.ts';
import { benchCase as ledger } from './cases/ledger.ts';
import { benchCase as perSubscriber } from './cases/per-subscriber.ts';
import { benchCase as rerun } from './cases/rerun.ts';

const CASES: readonly BenchCase[] = [master, perSubscriber, verify, download, cab, packageXml, ledger, rerun];

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '2GiB' },
    json: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    runs: { type: 'string', default: '3' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (values.help) {
  console.log('usage: npm run bench -- [--size 2GiB|256MiB] [--json] [--only <case>]... [--runs N]');
  console.log(`cases: ${CASES.map((c) => c.name).join(', ')}`);
  process.exit(0);
}

const sizeBytes = parseSize(values.size);
const runs = Number(values.runs);
if (!Number.isSafeInteger(runs) || runs < 1) {
  console.error(`Cannot run benchmarks: --runs must be a positive integer, not ${values.runs}`);
  process.exit(2);
}
const only = values.only ?? [];
const unknown = only.filter((name) => !CASES.some((c) => c.name === name));
if (unknown.length > 0) {
  console.error(`Cannot run benchmarks: unknown case ${unknown.join(', ')}; cases are ${CASES.map((c) => c.name).join(', ')}`);
  process.exit(2);
}
const selected = only.length === 0 ? CASES : CASES.filter((c) => only.includes(c.name));

// Progress goes to stderr so that --json leaves stdout to the result array.
const log = (message: string): void => {
  process.stderr.write(`${message}\n`);
};

const machine = {
  nproc: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  size: values.size,
  sizeBytes,
  runs,
  tools: Object.fromEntries(REFERENCE_TOOLS.map((t) => [t, hasTool(t)])),
  gnuTime: hasGnuTime(),
};

const tmp = await mkdtemp(join(tmpdir(), 'patchdisc-bench-'));
let treePromise: Promise<Tree> | undefined;
const ctx: BenchContext = {
  sizeBytes,
  runs,
  tmp,
  tree: () => {
    treePromise ??= (async () => {
      log(`generating a ${values.size} update tree…`);
      const start = process.hrtime.bigint();
      const tree = await writeTree(join(tmp, 'tree'), sizeBytes);
      log(`  ${tree.files.length} files, ${(tree.totalBytes / 1e6).toFixed(0)} MB in ${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(1)} s`);
      return tree;
    })();
    return treePromise;
  },
  log,
};

const results: CaseResult[] = [];

/** ours/reference per reference label, for --json consumers. */
function ratiosOf(r: CaseResult): Record<string, number | null> {
  const ours = r.ours.status === 'ok' ? r.ours.median : undefined;
  return Object.fromEntries(r.refs.map((ref) => [ref.label, ratio(ours, ref.status === 'ok' ? ref.median : undefined) ?? null]));
}
const onSignal = (): void => {
  void rm(tmp, { recursive: true, force: true }).finally(() => process.exit(130));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
const started = process.hrtime.bigint();
try {
  log(`machine: ${machine.nproc} × ${machine.cpu}, node ${machine.node}; size ${values.size}; ${runs} runs; temp ${tmp}`);
  for (const c of selected) {
    log(`case ${c.name} (goal: ${c.goal})`);
    try {
      results.push(...(await c.run(ctx)));
    } catch (err) {
      log(`  case ${c.name} FAILED: ${(err as Error).stack ?? String(err)}`);
      results.push({
        name: c.name,
        goal: c.goal,
        ours: { label: 'ours', status: 'failed', seconds: [], note: (err as Error).message },
        refs: [],
        verdict: 'n/a',
        notes: [],
      });
    }
  }
} finally {
  await rm(tmp, { recursive: true, force: true });
}
const totalSeconds = Number(process.hrtime.bigint() - started) / 1e9;

if (values.json) {
  // An array of results, as the issue asks; the machine and total time go to stderr.
  log(`machine: ${JSON.stringify(machine)}; total ${totalSeconds.toFixed(0)} s`);
  console.log(JSON.stringify(results.map((r) => ({ ...r, ratios: ratiosOf(r) })), null, 2));
} else {
  console.log(`patchdisc bench — ${machine.nproc} × ${machine.cpu}, node ${machine.node}, size ${values.size}, median of ${runs} runs`);
  console.log(`time: wall seconds; MB = 10^6 B; ratio = ours/reference (lower is better); ours runs in a child and times its own work (Node start-up excluded)`);
  const missing = REFERENCE_TOOLS.filter((t) => !machine.tools[t]);
  if (missing.length > 0) console.log(`tools missing: ${missing.join(', ')}`);
  console.log('');
  console.log(formatTable(results));
  console.log('');
  console.log(`total ${totalSeconds.toFixed(0)} s`);
}
