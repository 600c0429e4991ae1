import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIso } from '../../../src/iso/check-iso.ts';
import { planIsoLayout } from '../../../src/iso/layout.ts';
import { openIso } from '../../../src/iso/read-iso.ts';
import { writeIso } from '../../../src/iso/write-iso.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';
import { DATE, bytes, expectedHashes, hashTree, run, runBytes, sha256, sorted, writeSourceTree, type TreeFile } from './iso-test-tree.ts';

const CHINESE_LONG = '累积更新'.repeat(20) + '.msu'; // 84 characters, 244 UTF-8 bytes: NM goes to a CE area
const NAME_100 = 'windows10.0-kb5034441-x64_' + 'a'.repeat(70) + '.msu';

function mixedTree(): TreeFile[] {
  const files: TreeFile[] = [
    { path: 'README.txt', data: new TextEncoder().encode('read me\n') },
    { path: `updates/win10/KB5034441/${NAME_100}`, data: bytes(1, 300_001) },
    { path: 'updates/中文产品/安全更新说明.txt', data: new TextEncoder().encode('中文内容\n') },
    { path: `updates/中文产品/${CHINESE_LONG}`, data: bytes(2, 4096) },
    { path: 'empty-1.bin', data: new Uint8Array(0) },
    { path: 'updates/empty-2.bin', data: new Uint8Array(0) },
    { path: 'l1/l2/l3/l4/l5/l6/l7/l8/deep.cab', data: bytes(3, 2049) },
    // Both map to the primary name UPDATE_1.MSU: the second gets a numeric suffix.
    { path: 'collide/update-1.msu', data: bytes(4, 10) },
    { path: 'collide/update_1.msu', data: bytes(5, 11) },
    { path: 'collide/update.1.msu', data: bytes(6, 12) },
    { path: 'exact-sector.bin', data: bytes(7, 2048) },
  ];
  return files;
}

function thousandTree(): TreeFile[] {
  return Array.from({ length: 1000 }, (_, i) => ({
    path: `many/windows10.0-kb50${String(i).padStart(5, '0')}-x64_${sha256(bytes(i, 8)).slice(0, 40)}.msu`,
    data: bytes(1000 + i, (i * 37) % 3000),
  }));
}

const trees: [string, () => TreeFile[]][] = [
  ['100-character, Chinese, empty, 8-level and colliding names', mixedTree],
  ['1,000 files in one folder', thousandTree],
];

for (const [title, make] of trees) {
  describe(`writeIso() image with ${title}`, () => {
    const files = make();
    const expected = expectedHashes(files);
    let dir = '';
    let remove = (): void => undefined;
    let iso = '';

    beforeAll(async () => {
      ({ dir, remove } = makeTempDir('patchdisc-iso-'));
      const inputs = writeSourceTree(dir, files);
      iso = join(dir, 'out.iso');
      await writeIso(planIsoLayout(inputs, { volumeId: 'PATCHDISC_W23_1OF1', publisher: 'Contoso', date: DATE }), iso);
    });
    afterAll(() => {
      if (dir !== '') run('chmod', ['-R', 'u+w', dir]); // extracted folders are 0555
      remove();
    });

    const extract = (name: string, cmd: string, args: (out: string) => string[]): Map<string, string> => {
      const out = join(dir, name);
      mkdirSync(out);
      run(cmd, args(out));
      return hashTree(out);
    };

    it('passes checkIso() and reads back through openIso()', async () => {
      const result = await checkIso(iso);
      expect(result.problems).toEqual([]);
      expect(result.files).toBe(files.length);
      for (const tree of ['joliet', 'rockridge'] as const) {
        const img = await openIso(iso, { tree });
        const got = new Map<string, string>();
        for (const e of img.entries().filter((x) => !x.isDir)) {
          const chunks: Buffer[] = [];
          for await (const c of img.createReadStream(e.path)) chunks.push(c as Buffer);
          got.set(e.path, sha256(Buffer.concat(chunks)));
        }
        await img.close();
        expect(sorted(got)).toEqual(sorted(expected));
      }
    });

    const has7z = requireTools('7z');
    it.skipIf(!has7z)('extracts with 7z (Joliet) to the same names and bytes', () => {
      expect(sorted(extract('7z', '7z', (out) => ['x', '-y', `-o${out}`, iso]))).toEqual(sorted(expected));
    });

    const hasBsdtar = requireTools('bsdtar');
    it.skipIf(!hasBsdtar)('extracts with bsdtar (Rock Ridge) to the same names, bytes and modes', () => {
      const got = extract('bsdtar', 'bsdtar', (out) => ['-xf', iso, '-C', out]);
      expect(sorted(got)).toEqual(sorted(expected));
      const first = files[0] as TreeFile;
      const st = statSync(join(dir, 'bsdtar', first.path));
      expect(st.mode & 0o7777).toBe(0o444);
      expect(Math.round(st.mtimeMs / 1000)).toBe(DATE);
      const parent = first.path.includes('/') ? first.path.slice(0, first.path.lastIndexOf('/')) : '';
      if (parent !== '') expect(statSync(join(dir, 'bsdtar', parent)).mode & 0o7777).toBe(0o555);
    });

    const hasXorriso = requireTools('xorriso');
    it.skipIf(!hasXorriso)('extracts with xorriso -osirrox (Rock Ridge) to the same names and bytes', () => {
      const got = extract('xorriso', 'xorriso', (out) => ['-osirrox', 'on', '-indev', iso, '-extract', '/', out]);
      expect(sorted(got)).toEqual(sorted(expected));
    });

    const hasIsoinfo = requireTools('isoinfo');
    it.skipIf(!hasIsoinfo)('lists and extracts the ISO 9660 tree with isoinfo', () => {
      const info = run('isoinfo', ['-d', '-i', iso]);
      expect(info).toContain('Joliet with UCS level 3 found');
      expect(info).toContain('Rock Ridge signatures version 1 found');
      const volumeSize = Number(/Volume size is: (\d+)/.exec(info)?.[1]);
      expect(volumeSize * 2048).toBe(statSync(iso).size);
      // Primary tree: every file identifier is NAME.EXT;1 in d-characters and unique; contents match.
      const listed = run('isoinfo', ['-f', '-i', iso]).split('\n').filter((l) => l.endsWith(';1'));
      expect(listed).toHaveLength(files.length);
      for (const p of listed) expect(p).toMatch(/^(\/[A-Z0-9_]+)*\/[A-Z0-9_]*\.[A-Z0-9_]*;1$/);
      const sample = listed.slice(0, 40);
      const got = sample.map((p) => sha256(runBytes('isoinfo', ['-i', iso, '-x', p]))).sort();
      const all = new Set(expected.values());
      for (const h of got) expect(all.has(h)).toBe(true);
      // Joliet and Rock Ridge listings show the real names (isoinfo prints non-Latin Joliet names as '_').
      const joliet = run('isoinfo', ['-J', '-f', '-i', iso]).split('\n').filter(Boolean).map((l) => l.slice(1));
      const rr = run('isoinfo', ['-R', '-f', '-i', iso]).split('\n').filter(Boolean).map((l) => l.slice(1));
      for (const f of files) {
        if (/^[\x20-\x7e]*$/.test(f.path)) expect(joliet).toContain(f.path);
        expect(rr).toContain(f.path);
      }
    });
  });
}

describe('writeIso() permissions', () => {
  const ok = requireTools('bsdtar');
  it.skipIf(!ok)('carries a given mode and mtime through Rock Ridge', async () => {
    const { dir, remove } = makeTempDir('patchdisc-iso-');
    try {
      const data = bytes(9, 100);
      const layout = planIsoLayout([{ path: 'tool/run.sh', size: 100, source: { kind: 'buffer', data }, mode: 0o755, mtime: DATE - 86_400 }], {
        volumeId: 'MODES', date: DATE,
      });
      const iso = join(dir, 'm.iso');
      await writeIso(layout, iso);
      const out = join(dir, 'x');
      mkdirSync(out);
      run('bsdtar', ['-xf', iso, '-C', out]);
      const st = statSync(join(out, 'tool/run.sh'));
      expect(st.mode & 0o7777).toBe(0o755);
      expect(Math.round(st.mtimeMs / 1000)).toBe(DATE - 86_400);
      chmodSync(join(out, 'tool'), 0o755);
    } finally {
      remove();
    }
  });
});
