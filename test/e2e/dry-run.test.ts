import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WeekPreview } from '../../src/pipeline/preview-week.ts';
import { startUpstream, WSUSSCN2_PATH, type Upstream } from '../../src/upstream/start-upstream.ts';
import { CHAOS_SUBSCRIBERS, makeChaosKey, writeChaosDataDir, type ChaosKey } from '../helpers/chaos-setup.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/tools.ts';

const WEEK = '2026-W40';

/**
 * Every file under `dir` with its SHA-256, but the JSON logs and SQLite's coordination files: a
 * read-only connection to a WAL database may leave an -shm index and an empty -wal behind.
 */
function fingerprint(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const rel = relative(dir, join(e.parentPath, e.name));
    if (rel.startsWith('logs/') || rel.endsWith('.db-shm')) continue;
    if (rel.endsWith('.db-wal')) {
      expect(statSync(join(dir, rel)).size, `${rel} holds no transaction`).toBe(0);
      continue;
    }
    out.set(rel, createHash('sha256').update(readFileSync(join(dir, rel))).digest('hex'));
  }
  return out;
}

describe('build --dry-run', () => {
  const tmp = makeTempDir('patchdisc-dry-run-');
  let key: ChaosKey;
  let upstream: Upstream;
  beforeAll(async () => {
    key = await makeChaosKey(join(tmp.dir, 'keys'));
    upstream = await startUpstream({ port: 0, seed: 1, week: 0, payloadScale: 0.05 });
  });
  afterAll(async () => {
    await upstream.close();
    tmp.remove();
  });

  const dataDirFor = async (name: string): Promise<string> => {
    const dataDir = join(tmp.dir, name);
    await writeChaosDataDir({ dataDir, wsusscn2Url: `${upstream.url}${WSUSSCN2_PATH}`, upstreamUrl: upstream.url, allowHosts: [`${upstream.host}:${upstream.port}`], key });
    return dataDir;
  };

  it('previews every subscriber of the week and changes no file of the data dir (ledger included)', async () => {
    const dataDir = await dataDirFor('existing');
    const before = fingerprint(dataDir);
    expect(before.has('patchdisc.db')).toBe(true);
    const r = await runCli(['build', '--data', dataDir, '--week', WEEK, '--dry-run', '--json'], { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const preview = JSON.parse(r.stdout) as WeekPreview;
    expect(preview.week).toBe(WEEK);
    const subscribers = preview.pipelines.flatMap((p) => p.subscribers);
    expect(subscribers.map((s) => s.subscriber).sort()).toEqual([...CHAOS_SUBSCRIBERS].sort());
    for (const s of subscribers) {
      expect(s.kbs.length).toBeGreaterThan(0);
      expect(s.discs.length).toBeGreaterThan(0);
    }
    expect(fingerprint(dataDir)).toEqual(before);
  });

  it('creates no ledger in a data dir that has none', async () => {
    const dataDir = await dataDirFor('no-ledger');
    for (const f of ['patchdisc.db', 'patchdisc.db-wal', 'patchdisc.db-shm']) rmSync(join(dataDir, f), { force: true });
    const r = await runCli(['build', '--data', dataDir, '--week', WEEK, '--dry-run', '--json'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const preview = JSON.parse(r.stdout) as WeekPreview;
    expect(preview.pipelines.flatMap((p) => p.subscribers)).toEqual([]);
    expect(existsSync(join(dataDir, 'patchdisc.db'))).toBe(false);
  });
});
