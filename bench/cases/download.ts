/**
 * download: fetch every file of the tree from a loopback HTTP server with our downloadAll into a
 * ContentStore (SHA-1 + SHA-256 checked while writing, 4 at a time) against `curl` run 4 at a time by
 * `xargs -P4` followed by `openssl dgst -sha1` and `-sha256` passes, and against bare curl.
 * resume: the server drops the connection halfway through the largest file; the bytes fetched
 * beyond the file's size are what the resume cost.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchCase, CaseResult, Measurement } from '../lib/bench-case.ts';
import { startFileServer } from '../lib/file-server.ts';
import { childSample, measureSideBySide, runChildTask, timeCommand, type Subject } from '../lib/measure.ts';
import { median, ratio, verdictAtMost } from '../lib/stats.ts';
import { srcAvailability, toolAvailability } from '../lib/tools.ts';
import type { TreeFileDigests } from '../lib/tree.ts';

const GOAL_RATIO = 1.0;
const RESUME_GOAL_BYTES = 1 << 20;
const CONCURRENCY = 4;

interface DownloadArgs {
  origin: string;
  hostPort: string;
  storeDir: string;
  files: TreeFileDigests[];
}

/** What a child task is given: the file holding its DownloadArgs (a 2 GiB tree's list is too long for argv: E2BIG). */
interface ChildArgs {
  argsFile: string;
}

async function readArgs(child: ChildArgs): Promise<DownloadArgs> {
  return JSON.parse(await readFile(child.argsFile, 'utf8')) as DownloadArgs;
}

async function writeArgs(path: string, args: DownloadArgs): Promise<ChildArgs> {
  await writeFile(path, JSON.stringify(args));
  return { argsFile: path };
}

const urlOf = (origin: string, path: string): string => `${origin}/${path.split('/').map(encodeURIComponent).join('/')}`;

/** Module loading before the timer (see bench/child.ts). */
export const childWarmups = {
  async downloadAll(): Promise<void> {
    await import('../../src/fetch/content-store.ts');
    await import('../../src/fetch/download-all.ts');
  },
  async resume(): Promise<void> {
    await import('../../src/fetch/content-store.ts');
    await import('../../src/fetch/download-file.ts');
  },
};

export const childTasks = {
  /** downloadAll of the whole tree; throws when any file failed. */
  async downloadAll(child: ChildArgs): Promise<{ files: number; bytesFetched: number }> {
    const args = await readArgs(child);
    const { ContentStore } = await import('../../src/fetch/content-store.ts');
    const { downloadAll } = await import('../../src/fetch/download-all.ts');
    const store = new ContentStore(args.storeDir);
    const reqs = args.files.map((f) => ({ url: urlOf(args.origin, f.path), sha1: f.sha1, sha256: f.sha256, size: f.size }));
    const r = await downloadAll(reqs, { store, allowHosts: [args.hostPort], concurrency: CONCURRENCY, perHost: CONCURRENCY });
    if (r.failed.length > 0) throw new Error(`Cannot download: ${r.failed.length} failed, first: ${r.failed[0]?.error.message}`);
    return { files: r.done.length, bytesFetched: r.done.reduce((s, d) => s + d.bytesFetched, 0) };
  },
  /** downloadFile of one file whose first answer is cut at half. */
  async resume(child: ChildArgs): Promise<{ size: number; bytesFetched: number; attempts: number }> {
    const args = await readArgs(child);
    const { ContentStore } = await import('../../src/fetch/content-store.ts');
    const { downloadFile } = await import('../../src/fetch/download-file.ts');
    const f = args.files[0];
    if (f === undefined) throw new Error('Cannot run resume: no file given');
    const store = new ContentStore(args.storeDir);
    const r = await downloadFile(
      { url: `${urlOf(args.origin, f.path)}?cut=1`, sha1: f.sha1, sha256: f.sha256, size: f.size },
      { store, allowHosts: [args.hostPort], backoffMs: 10 },
    );
    return { size: f.size, bytesFetched: r.bytesFetched, attempts: r.attempts };
  },
};

export const benchCase: BenchCase = {
  name: 'download',
  goal: `≤ ${GOAL_RATIO.toFixed(1)}× curl+openssl; resume refetch ≤ 1 MiB`,
  async run(ctx): Promise<CaseResult[]> {
    const tree = await ctx.tree();
    const server = await startFileServer(tree.root);
    try {
      const storeDir = join(ctx.tmp, 'dl-store');
      const curlDir = join(ctx.tmp, 'dl-curl');
      const list = join(ctx.tmp, 'dl-curl.list');
      // xargs -n2 turns each "out url" line into `curl -sSf -o out url`.
      await writeFile(list, tree.files.map((f) => `${join(curlDir, f.sha1)} ${urlOf(server.origin, f.path)}\n`).join(''));
      const curl = `xargs -P${CONCURRENCY} -n2 curl -sSf -o < '${list}'`;
      const digests = `cd '${curlDir}' && openssl dgst -sha1 * > /dev/null && openssl dgst -sha256 * > /dev/null`;
      const cleanCurl = async (): Promise<void> => {
        await rm(curlDir, { recursive: true, force: true });
        await mkdir(curlDir, { recursive: true });
      };
      const args: DownloadArgs = { origin: server.origin, hostPort: server.hostPort, storeDir, files: tree.files };
      const subjects: Subject[] = [
        {
          label: 'ours',
          availability: srcAvailability('fetch/download-all.ts', 'fetch/content-store.ts'),
          bytes: tree.totalBytes,
          before: () => rm(storeDir, { recursive: true, force: true }),
          run: childSample('cases/download.ts', 'downloadAll', await writeArgs(join(ctx.tmp, 'dl-args.json'), args)),
        },
        {
          label: 'curl+openssl',
          availability: toolAvailability('curl', 'openssl', 'xargs'),
          bytes: tree.totalBytes,
          before: cleanCurl,
          run: () => timeCommand('sh', ['-c', `${curl} && ${digests}`]),
        },
        {
          label: 'curl',
          availability: toolAvailability('curl', 'xargs'),
          bytes: tree.totalBytes,
          before: cleanCurl,
          run: () => timeCommand('sh', ['-c', curl]),
        },
      ];
      const [ours, ...refs] = await measureSideBySide(subjects, ctx.runs, ctx.log);
      await rm(storeDir, { recursive: true, force: true });
      await rm(curlDir, { recursive: true, force: true });
      const withOpenssl = refs[0];
      const r = ratio(ours?.median, withOpenssl?.status === 'ok' ? withOpenssl.median : undefined);
      const download: CaseResult = {
        name: 'download',
        goal: `≤ ${GOAL_RATIO.toFixed(1)}× curl+openssl`,
        ours: ours!,
        refs,
        verdict: verdictAtMost(r, GOAL_RATIO),
        notes: [`${tree.files.length} files from 127.0.0.1, ${CONCURRENCY} at a time; ours also fsyncs each stored file and appends its record to the store's log`],
      };
      return [download, await resume(ctx, args, server)];
    } finally {
      await server.close();
    }
  },
};

async function resume(
  ctx: Parameters<BenchCase['run']>[0],
  args: DownloadArgs,
  server: Awaited<ReturnType<typeof startFileServer>>,
): Promise<CaseResult> {
  const largest = [...args.files].sort((a, b) => b.size - a.size)[0];
  const goal = '≤ 1 MiB fetched again';
  const ours: Measurement = { label: 'ours', status: srcAvailability('fetch/download-file.ts', 'fetch/content-store.ts'), seconds: [] };
  if (largest === undefined || ours.status !== 'ok') return { name: 'download:resume', goal, ours, refs: [], verdict: 'n/a', notes: [] };
  const refetched: number[] = [];
  const resent: number[] = [];
  const attempts: number[] = [];
  try {
    for (let i = 0; i < ctx.runs; i += 1) {
      const storeDir = join(ctx.tmp, `resume-store-${i}`);
      server.resetCounters();
      const rep = await runChildTask('cases/download.ts', 'resume', await writeArgs(join(ctx.tmp, 'resume-args.json'), { ...args, storeDir, files: [largest] }));
      const res = rep.result as { size: number; bytesFetched: number; attempts: number };
      ours.seconds.push(rep.seconds);
      refetched.push(res.bytesFetched - res.size);
      resent.push(server.bytesSent() - res.size);
      attempts.push(res.attempts);
      ctx.log(`  resume run ${i + 1}: ${res.attempts} requests, ${res.bytesFetched - res.size} bytes fetched again`);
      await rm(storeDir, { recursive: true, force: true });
    }
  } catch (err) {
    ours.status = 'failed';
    ours.note = (err as Error).message;
    return { name: 'download:resume', goal, ours, refs: [], verdict: 'n/a', notes: [] };
  }
  ours.median = median(ours.seconds);
  ours.bytes = largest.size;
  const again = median(refetched);
  return {
    name: 'download:resume',
    goal,
    ours,
    refs: [],
    verdict: verdictAtMost(again, RESUME_GOAL_BYTES),
    notes: [
      `file of ${(largest.size / 1e6).toFixed(1)} MB cut at 50 %: median ${again} B taken again by the client (${median(resent)} B re-sent by the server), ${median(attempts)} requests`,
    ],
  };
}
