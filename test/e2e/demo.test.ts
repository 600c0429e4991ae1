import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/run-cli.ts';
import { makeTempDir, requireTools } from '../helpers/tools.ts';

const WEEK1 = '2026-W40';
const validateManifest = new Ajv2020({ strict: false, allErrors: true }).compile(
  JSON.parse(readFileSync(join(import.meta.dirname, '../../manifests/manifest.schema.json'), 'utf8')) as object,
);
const tools = requireTools('7z', 'bsdtar', 'openssl');

interface DemoJson {
  certificate: string;
  fingerprint: string;
  weeks: {
    week: string;
    discs: { subscriber: string; sequence: number; disc: number; of: number; iso: string; bytes: number; sha256: string; volumeId: string }[];
    shipments: { id: number; subscriber: string; status: string }[];
  }[];
}

/** Thin images written out once with `patchdisc iso export` (as the mailroom does to burn them). */
const exported = new Map<string, string>();
function isoOf(d: { iso: string }): string {
  if (!d.iso.endsWith('.thin')) return d.iso;
  let out = exported.get(d.iso);
  if (out === undefined) {
    out = `${d.iso}.exported.iso`;
    execFileSync(process.execPath, [BIN, 'iso', 'export', d.iso, '--out', out, '--quiet']);
    exported.set(d.iso, out);
  }
  return out;
}

const d0Size = (d: { iso: string }): number => statSync(d.iso).size;

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every regular file below `dir`, relative path → SHA-256. */
function tree(dir: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (skip(rel)) continue;
      if (statSync(p).isDirectory()) walk(p);
      else out.set(rel, sha256(p));
    }
  };
  walk(dir);
  return out;
}

function rowCounts(dbPath: string): Record<string, number> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
    return Object.fromEntries(tables.map((t) => [t.name, (db.prepare(`SELECT count(*) AS n FROM "${t.name}"`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

describe('patchdisc demo (npm start) end to end', () => {
  const tmp = makeTempDir('patchdisc-demo-');
  const data = join(tmp.dir, 'data');
  let first: DemoJson;

  beforeAll(async () => {
    const r = await runCli(['demo', '--data', data, '--json', '--week', WEEK1]);
    expect(r.stderr).not.toMatch(/internal error|at .*\.ts:\d+/);
    expect(r.code, r.stderr).toBe(0);
    first = JSON.parse(r.stdout) as DemoJson;
  });
  afterAll(() => tmp.remove());

  it('builds two consecutive weeks with discs for both active subscribers and none for the expired one', () => {
    expect(first.weeks.map((w) => w.week)).toEqual([WEEK1, '2026-W41']);
    for (const w of first.weeks) {
      const subs = new Set(w.discs.map((d) => d.subscriber));
      expect([...subs].sort()).toEqual(['DEMO-CD-001', 'DEMO-DVD-002']);
      expect(w.shipments.map((s) => s.subscriber).sort()).toEqual(['DEMO-CD-001', 'DEMO-DVD-002']);
      for (const d of w.discs) {
        const iso = isoOf(d);
        expect(statSync(iso).size).toBe(d.bytes);
        expect(sha256(iso)).toBe(d.sha256);
      }
    }
    expect(first.fingerprint).toBe(sha256(first.certificate));
  });

  it('shares one master between the two subscribers of the same content: the second disc is a small thin image of it', () => {
    for (const w of first.weeks) {
      const [cd, dvd] = ['DEMO-CD-001', 'DEMO-DVD-002'].map((code) => w.discs.find((d) => d.subscriber === code)!);
      expect(cd!.iso.endsWith('.iso')).toBe(true);
      // Both subscribers started together, so both get the same updates: one master, one thin image.
      expect(dvd!.iso.endsWith('.iso.thin')).toBe(true);
      expect(statSync(dvd!.iso).size).toBeLessThan(d0Size(cd!) / 20);
      expect(dvd!.sha256).not.toBe(cd!.sha256);
      expect(statSync(isoOf(dvd!)).size).toBe(dvd!.bytes);
    }
  });

  it('gives each subscriber increasing sequence numbers, week 2 carrying new updates', () => {
    for (const code of ['DEMO-CD-001', 'DEMO-DVD-002']) {
      const seqs = first.weeks.map((w) => w.discs.find((d) => d.subscriber === code)!.sequence);
      expect(seqs[1]).toBeGreaterThan(seqs[0]!);
    }
  });

  it.skipIf(!tools)('every ISO extracts identically with 7z (Joliet) and bsdtar (Rock Ridge), matching MANIFEST.json and SHA256SUMS, signatures verified by openssl', () => {
    const pub = join(tmp.dir, 'pub.pem');
    execFileSync('sh', ['-c', `openssl x509 -inform DER -in '${first.certificate}' -pubkey -noout > '${pub}'`]);
    let updateFiles = 0;
    for (const w of first.weeks) {
      for (const d of w.discs) {
        const a = join(tmp.dir, 'x7z', d.volumeId + d.subscriber);
        const b = join(tmp.dir, 'xbsd', d.volumeId + d.subscriber);
        mkdirSync(a, { recursive: true });
        mkdirSync(b, { recursive: true });
        execFileSync('7z', ['x', '-y', `-o${a}`, isoOf(d)], { stdio: 'ignore' });
        execFileSync('bsdtar', ['-xf', isoOf(d), '-C', b]);
        const ta = tree(a);
        const tb = tree(b);
        expect([...ta.keys()].sort()).toEqual([...tb.keys()].sort());
        for (const [k, v] of ta) expect(tb.get(k), k).toBe(v);

        for (const file of ['MANIFEST.json', 'SHA256SUMS']) {
          execFileSync('openssl', ['dgst', '-sha256', '-verify', pub, '-signature', join(a, `${file}.sig`), join(a, file)]);
        }
        const manifestJson: unknown = JSON.parse(readFileSync(join(a, 'MANIFEST.json'), 'utf8'));
        expect(validateManifest(manifestJson), JSON.stringify(validateManifest.errors)).toBe(true);
        const manifest = manifestJson as { subscriberId: string; sequence: number; files: { path: string; sha256: string; size: number }[] };
        expect(manifest.subscriberId).toBe(d.subscriber);
        expect(manifest.sequence).toBe(d.sequence);
        for (const f of manifest.files) {
          expect(ta.get(f.path), f.path).toBe(f.sha256);
          updateFiles++;
        }
        const sums = readFileSync(join(a, 'SHA256SUMS'), 'utf8')
          .split('\n')
          .filter((l) => l && !l.startsWith('#'))
          .map((l) => [l.slice(66), l.slice(0, 64)] as const);
        const listed = new Map(sums);
        const onDisc = [...ta.keys()].filter((k) => k !== 'SHA256SUMS' && k !== 'SHA256SUMS.sig');
        expect([...listed.keys()].sort()).toEqual(onDisc.sort());
        for (const [p, h] of listed) expect(ta.get(p), p).toBe(h);
        execFileSync('sha256sum', ['--check', '--strict', '--quiet', 'SHA256SUMS'], { cwd: a });
      }
    }
    expect(updateFiles).toBeGreaterThan(0);
  });

  it('patchdisc verify accepts each week\'s disc in order (ISO read in-process) and then refuses the older one', async () => {
    const state = join(tmp.dir, 'verify-state.json');
    const cd = first.weeks.map((w) => w.discs.find((d) => d.subscriber === 'DEMO-CD-001')!);
    for (const d of cd) {
      const r = await runCli(['verify', d.iso, '--cert', first.certificate, '--subscriber', 'DEMO-CD-001', '--state', state, '--at', '2026-10-10', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { ok: boolean }).ok).toBe(true);
    }
    const replay = await runCli(['verify', cd[0]!.iso, '--cert', first.certificate, '--subscriber', 'DEMO-CD-001', '--state', state, '--at', '2026-10-10']);
    expect(replay.code).toBe(3);
    expect(replay.stderr).toMatch(/sequence/);
    const other = await runCli(['verify', cd[1]!.iso, '--cert', first.certificate, '--subscriber', 'DEMO-DVD-002', '--state', state, '--at', '2026-10-10']);
    expect(other.code).toBe(3);
    // The thin image of the other subscriber verifies as it stands, read through its master.
    const dvd = first.weeks[0]!.discs.find((d) => d.subscriber === 'DEMO-DVD-002')!;
    const thin = await runCli(['verify', dvd.iso, '--cert', first.certificate, '--subscriber', 'DEMO-DVD-002', '--state', join(tmp.dir, 'dvd-state.json'), '--at', '2026-10-10', '--json']);
    expect(thin.code, thin.stdout + thin.stderr).toBe(0);
  });

  it('records one shipment per active subscriber and week, none for the expired subscriber', () => {
    const db = new Database(join(data, 'patchdisc.db'), { readonly: true });
    try {
      const rows = db
        .prepare('SELECT s.code AS code, sh.week AS week, count(*) AS n FROM shipments sh JOIN subscribers s ON s.id = sh.subscriber_id GROUP BY s.code, sh.week')
        .all() as { code: string; week: string; n: number }[];
      expect(rows.every((r) => r.n === 1)).toBe(true);
      expect(rows.map((r) => `${r.code} ${r.week}`).sort()).toEqual([
        `DEMO-CD-001 ${WEEK1}`,
        'DEMO-CD-001 2026-W41',
        `DEMO-DVD-002 ${WEEK1}`,
        'DEMO-DVD-002 2026-W41',
      ]);
    } finally {
      db.close();
    }
  });

  it('a rerun of both weeks adds no ledger row and no file, and says up to date', async () => {
    const skip = (rel: string): boolean => rel.startsWith('logs') || rel === 'patchdisc.db' || rel.startsWith('patchdisc.db-') || rel === 'patchdisc.yaml' || rel === 'demo.json';
    const before = tree(data, skip);
    const countsBefore = rowCounts(join(data, 'patchdisc.db'));
    const r = await runCli(['demo', '--data', data, '--week', WEEK1]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/up to date/);
    expect(rowCounts(join(data, 'patchdisc.db'))).toEqual(countsBefore);
    expect(tree(data, skip)).toEqual(before);
  });

  it('build of a finished week needs no network: the demo upstream is gone and it says up to date', async () => {
    const r = await runCli(['build', '--data', data, '--week', '2026-W41', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      upToDate: boolean;
      pipelines: { changes: { since: string | null; added: { kb?: string }[]; newlySuperseded: { kb?: string }[] } }[];
    };
    expect(report.upToDate).toBe(true);
    // Week 2 is a Patch Tuesday week: the report lists what is new and what it superseded since week 1.
    const changes = report.pipelines[0]!.changes;
    expect(changes.since).toBe(WEEK1);
    expect(changes.added.length).toBeGreaterThan(0);
    expect(changes.newlySuperseded.length).toBeGreaterThan(0);
  });

  it('build --remaster writes again a deleted master and a damaged disc of a built week, byte for byte, and refuses an unbuilt week', async () => {
    const w = first.weeks[1]!;
    const cd = w.discs.find((d) => d.subscriber === 'DEMO-CD-001')!;
    const dvd = w.discs.find((d) => d.subscriber === 'DEMO-DVD-002')!;
    rmSync(cd.iso);
    const broken = await runCli(['iso', 'check', dvd.iso]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/its master .* cannot be opened.*--remaster/);

    const r = await runCli(['build', '--data', data, '--week', w.week, '--remaster', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { discs: { iso: string; sha256: string; action: string }[] };
    expect(report.discs.find((d) => d.iso === cd.iso)).toMatchObject({ action: 'written', sha256: cd.sha256 });
    expect(sha256(cd.iso)).toBe(cd.sha256);
    expect((await runCli(['iso', 'check', dvd.iso])).code).toBe(0);

    // Same size, one byte changed: found by hashing, written again.
    const week1 = first.weeks[0]!.discs.find((d) => d.subscriber === 'DEMO-CD-001')!;
    const bytes = readFileSync(week1.iso);
    bytes[bytes.length - 200_000] = bytes[bytes.length - 200_000]! ^ 0x55;
    writeFileSync(week1.iso, bytes);
    const again = await runCli(['build', '--data', data, '--week', WEEK1, '--remaster']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/written .*DEMO-CD-001/);
    expect(again.stdout).toMatch(/2 discs checked/);
    expect(sha256(week1.iso)).toBe(week1.sha256);

    const unbuilt = await runCli(['build', '--data', data, '--week', '2026-W30', '--remaster']);
    expect(unbuilt.code).toBe(2);
    expect(unbuilt.stderr).toMatch(/not built/);
  });
});
