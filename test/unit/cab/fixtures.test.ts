import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { extractCabinet } from '../../../src/cab/extract-cabinet.ts';
import { openCabinet } from '../../../src/cab/open-cabinet.ts';
import { FIXTURES, makeTempDir, requireTools } from '../../helpers/tools.ts';

interface ExpectedFile {
  sha256: string;
  size: number;
  path: string;
}
interface Expected {
  dir: string;
  cab: string;
  files: ExpectedFile[];
  nested: Map<string, ExpectedFile[]>;
}

const CAB_FIXTURES = join(FIXTURES, 'cab');
const ROW = /^\s*([0-9a-f]{64})\s+(\d+)\s+(\S.*?)\s*$/;

/** The "extracted files" table and the nested cabinets' "extracted" lists of an EXPECTED.txt. */
function parseExpected(dir: string): Expected {
  const text = readFileSync(join(CAB_FIXTURES, dir, 'EXPECTED.txt'), 'utf8');
  const cab = /^cabinet: (.+)$/m.exec(text)![1]!;
  const files: ExpectedFile[] = [];
  const nested = new Map<string, ExpectedFile[]>();
  let target: ExpectedFile[] | undefined;
  for (const line of text.split('\n')) {
    const nest = /^---- nested cabinet (\S+) ----$/.exec(line);
    if (line.startsWith('== extracted files:')) target = files;
    else if (nest !== null) nested.set(nest[1]!, (target = []));
    else if (line.startsWith('== ')) target = undefined;
    const row = ROW.exec(line);
    if (target !== undefined && row !== null) target.push({ sha256: row[1]!, size: Number(row[2]), path: row[3]! });
  }
  return { dir, cab, files, nested };
}

const fixtures = readdirSync(CAB_FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => parseExpected(d.name));
const FAILING = new Set(['damaged-lzx-libmspack-cve-2015-4471', 'truncated-libmspack-partial-nodata']);

function sortByPath(list: ExpectedFile[]): ExpectedFile[] {
  return [...list].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

describe('extractCabinet() on the third-party fixtures', () => {
  it('finds every fixture folder and its expected table', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
    for (const f of fixtures) if (!FAILING.has(f.dir)) expect(f.files.length, f.dir).toBeGreaterThan(0);
  });

  for (const fx of fixtures.filter((f) => !FAILING.has(f.dir))) {
    it(`${fx.dir}: extracts exactly the sha256 and sizes in EXPECTED.txt`, async () => {
      const tmp = makeTempDir();
      try {
        const cab = await openCabinet(join(CAB_FIXTURES, fx.dir, fx.cab));
        const got = await extractCabinet(cab, tmp.dir);
        await cab.close();
        const rel = got.map((g) => ({ sha256: g.sha256, size: g.size, path: g.path.slice(tmp.dir.length + 1) }));
        expect(sortByPath(rel)).toEqual(sortByPath(fx.files));
        for (const g of got) expect(createHash('sha256').update(readFileSync(g.path)).digest('hex')).toBe(g.sha256);
        for (const [name, list] of fx.nested) {
          const inner = await openCabinet(join(tmp.dir, name));
          const innerDir = join(tmp.dir, `${name}.d`);
          const innerGot = await extractCabinet(inner, innerDir);
          await inner.close();
          const innerRel = innerGot.map((g) => ({ sha256: g.sha256, size: g.size, path: g.path.slice(innerDir.length + 1) }));
          expect(sortByPath(innerRel), name).toEqual(sortByPath(list));
        }
      } finally {
        tmp.remove();
      }
    });
  }

  for (const dir of FAILING) {
    it(`${dir}: fails cleanly with CAB_CORRUPT`, async () => {
      const fx = fixtures.find((f) => f.dir === dir)!;
      const tmp = makeTempDir();
      try {
        const err = await (async () => {
          const cab = await openCabinet(join(CAB_FIXTURES, dir, fx.cab));
          try {
            await extractCabinet(cab, tmp.dir);
          } finally {
            await cab.close();
          }
        })().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isPatchdiscError(err, 'CAB_CORRUPT'), String(err)).toBe(true);
        expect((err as Error).message).toContain(fx.cab);
        // No partial file is left behind under its final name or a temporary one.
        expect(readdirSync(tmp.dir)).toEqual([]);
      } finally {
        tmp.remove();
      }
    });
  }

  const hasCabextract = requireTools('cabextract');
  it.skipIf(!hasCabextract)('agrees with cabextract -t on every member of every good fixture', async () => {
    for (const fx of fixtures.filter((f) => !FAILING.has(f.dir))) {
      const file = join(CAB_FIXTURES, fx.dir, fx.cab);
      const report = execFileSync('cabextract', ['-t', file], { encoding: 'utf8' });
      const cab = await openCabinet(file);
      for (const m of cab.members) {
        const md5 = createHash('md5').update(await cab.readMember(m.name)).digest('hex');
        const shown = m.name.replaceAll('\\', '/');
        expect(report, `${fx.dir} ${shown}`).toMatch(new RegExp(`\\s${shown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s+OK\\s+${md5}`));
      }
      await cab.close();
    }
  });
});

describe('the lzx21 fixture member, a cabinet holding three 2 GiB members', () => {
  it('lists the nested cabinet and streams its members without holding them in memory', async () => {
    const outer = await openCabinet(join(CAB_FIXTURES, 'lzx21-cabextract-large-files', 'large-files-cab.cab'));
    const started = performance.now();
    const nestedBytes = await outer.readMember('large-files.cab');
    const mbPerSecond = nestedBytes.length / 1e6 / ((performance.now() - started) / 1000);
    await outer.close();
    expect(createHash('sha256').update(nestedBytes).digest('hex')).toBe('30e0e3f37c7bdd389b5d1c73d08b2e2b422c50b5c32362e9995504e7c80cb1c1');
    // A first, unwarmed run on the 2-core CI machine; warm runs are several times faster.
    expect(mbPerSecond).toBeGreaterThan(10);

    const inner = await openCabinet(nestedBytes, { label: 'large-files.cab' });
    expect(inner.folders.map((f) => [f.compression, f.window, f.dataBlocks])).toEqual([
      ['mszip', undefined, 65_535],
      ['lzx', 15, 65_535],
      ['lzx', 21, 65_535],
    ]);
    expect(inner.members.map((m) => [m.name, m.size, m.folderIndex])).toEqual([
      ['mszip-2gb.txt', 2_147_450_880, 0],
      ['lzx15-2gb.txt', 2_147_450_880, 1],
      ['lzx21-2gb.txt', 2_147_450_880, 2],
    ]);
    const limit = 48 * 1024 * 1024;
    const rssBefore = process.memoryUsage().rss;
    const heads: string[] = [];
    for (const m of inner.members) {
      let seen = 0;
      let head = '';
      for await (const chunk of inner.openMember(m.name)) {
        if (head === '') head = (chunk as Buffer).subarray(0, 16).toString('latin1');
        seen += (chunk as Buffer).length;
        if (seen >= limit) break;
      }
      expect(seen, m.name).toBeGreaterThanOrEqual(limit);
      heads.push(head);
    }
    // All three folders hold the same text, whatever the method.
    expect(new Set(heads).size).toBe(1);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
    await inner.close();
  });
});
