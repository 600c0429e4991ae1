import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIso } from '../../../src/iso/check-iso.ts';
import { encodeRegions } from '../../../src/iso/encode-metadata.ts';
import { exportImage } from '../../../src/iso/export-image.ts';
import { openImageFile } from '../../../src/iso/image-file.ts';
import { planIsoLayout, planTailFit, tailReserveFor, tailSectorsUsed, type IsoFileInput, type IsoLayout, type IsoOptions } from '../../../src/iso/layout.ts';
import { openIso } from '../../../src/iso/read-iso.ts';
import { planFromMaster, rebaseLayout, tailSectorsUsedFrom } from '../../../src/iso/rebase-layout.ts';
import { THIN_MAGIC } from '../../../src/iso/thin-image.ts';
import { writeIsoPatch } from '../../../src/iso/write-iso-patch.ts';
import { flushThinImages } from '../../../src/iso/write-iso-thin.ts';
import { writeIso } from '../../../src/iso/write-iso.ts';
import { BIN } from '../../helpers/run-cli.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';
import { DATE, bytes, hashTree, run, runBytes, sha256, sorted, writeSourceTree, type TreeFile } from './iso-test-tree.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Update files in several folders (so most of the tail is folders the subscribers share). */
const UPDATES: TreeFile[] = [
  ...Array.from({ length: 30 }, (_, i) => ({ path: `updates/windows-11/KB50${String(i).padStart(5, '0')}/windows11.0-kb50${i}-x64.msu`, data: bytes(i + 1, 3000 + i * 977) })),
  { path: 'updates/office/KB5002469/更新说明.cab', data: bytes(90, 12_345) },
  { path: 'updates/office/KB5002469/empty.txt', data: new Uint8Array(0) },
];

/** Per-subscriber files whose sizes differ with the subscriber; `sequence` 0 gives an empty README. */
function metadata(code: string, sequence: number): TreeFile[] {
  return [
    { path: 'MANIFEST.json', data: text(JSON.stringify({ subscriberId: code, sequence, note: 'x'.repeat(sequence * 700) })) },
    { path: 'MANIFEST.json.sig', data: bytes(sequence + 7, 384) },
    { path: 'README.txt', data: text(`disc for ${code}\n`.repeat(sequence)) },
    { path: 'SHA256SUMS', data: text(`# subscriberId: ${code}\n`) },
    { path: 'keys/0123456789abcdef.cer', data: bytes(99, 1200 + sequence) },
  ];
}

const OPTIONS: IsoOptions = { volumeId: 'PATCH_26W40_1OF1', publisher: 'Contoso', date: DATE };
const SUBSCRIBERS = [metadata('ACME-001', 1), metadata('BETA-SUBSCRIBER-0002', 5), metadata('C-3', 0), metadata('DELTA-004', 3)];

describe('thin images: a further subscriber as its master plus the sectors that differ', () => {
  let dir = '';
  let remove = (): void => undefined;
  let updates: IsoFileInput[] = [];
  let options: IsoOptions = OPTIONS;
  const inputs = (meta: TreeFile[]): IsoFileInput[] => [
    ...meta.map((m) => ({ path: m.path, size: m.data.length, source: { kind: 'buffer' as const, data: m.data }, tail: true })),
    ...updates,
  ];
  let masterLayout: IsoLayout;
  let master = '';
  let masterSha = '';
  /** For each further subscriber: the thin image, its SHA-256 and the image mastered in full. */
  const further: { thin: string; sha256: string; direct: string; meta: TreeFile[] }[] = [];

  beforeAll(async () => {
    ({ dir, remove } = makeTempDir('patchdisc-thin-'));
    updates = writeSourceTree(dir, UPDATES);
    options = { ...OPTIONS, tailSectors: tailReserveFor(Math.max(...SUBSCRIBERS.map((m) => tailSectorsUsed(inputs(m), OPTIONS)))) };
    masterLayout = planIsoLayout(inputs(SUBSCRIBERS[0]!), options);
    master = join(dir, 'ACME-001.iso');
    const m = await writeIso(masterLayout, master);
    masterSha = m.sha256;
    for (const [k, meta] of SUBSCRIBERS.entries()) {
      if (k === 0) continue;
      const layout = planFromMaster(masterLayout, inputs(meta), options);
      const r = await writeIsoPatch({ path: master, layout: masterLayout, sha256: m.sha256, ...(m.checkpoint ? { checkpoint: m.checkpoint } : {}) }, layout, join(dir, `sub-${k}.iso`), { share: 'thin', durable: false });
      expect(r.clone).toBe('thin');
      expect(r.path).toBe(join(dir, `sub-${k}.iso.thin`));
      const direct = join(dir, `sub-${k}-direct.iso`);
      await writeIso(planIsoLayout(inputs(meta), options), direct);
      further.push({ thin: r.path, sha256: r.sha256, direct, meta });
    }
    await flushThinImages(further.map((f) => f.thin));
  });
  afterAll(() => {
    if (dir !== '') run('chmod', ['-R', 'u+w', dir]); // extracted folders are 0555
    remove();
  });

  it('rebases a layout to exactly what planning in full gives, tail bytes included', () => {
    for (const meta of SUBSCRIBERS) {
      const rebased = rebaseLayout(masterLayout, inputs(meta), options);
      const full = planIsoLayout(inputs(meta), options);
      expect(rebased).toBeDefined();
      const plain = (l: IsoLayout): unknown => JSON.parse(JSON.stringify(l, (key, v: unknown) => (key === 'data' ? undefined : v)));
      expect(isDeepStrictEqual(plain(rebased!), plain(full))).toBe(true);
      expect(Buffer.from(encodeRegions(rebased!).tail!).equals(encodeRegions(full).tail!)).toBe(true);
      expect(Buffer.from(encodeRegions(rebased!).head).equals(encodeRegions(full).head)).toBe(true);
      expect(tailSectorsUsedFrom(planTailFit(inputs(SUBSCRIBERS[0]!), OPTIONS), inputs(meta), OPTIONS)).toBe(tailSectorsUsed(inputs(meta), OPTIONS));
    }
  });

  it('does not rebase when anything but the tail files changed', () => {
    const renamed = inputs(SUBSCRIBERS[1]!).map((f) => (f.path.endsWith('kb501-x64.msu') ? { ...f, path: f.path.replace('kb501-', 'kb599-') } : f));
    expect(rebaseLayout(masterLayout, renamed, options)).toBeUndefined();
    const resized = inputs(SUBSCRIBERS[1]!).map((f, i) => (i === 10 ? { ...f, size: f.size + 1 } : f));
    expect(rebaseLayout(masterLayout, resized, options)).toBeUndefined();
    expect(rebaseLayout(masterLayout, inputs(SUBSCRIBERS[1]!), { ...options, volumeId: 'OTHER' })).toBeUndefined();
    expect(rebaseLayout(masterLayout, inputs(SUBSCRIBERS[1]!), { ...options, tailSectors: options.tailSectors! + 32 })).toBeUndefined();
    expect(rebaseLayout(masterLayout, inputs([...SUBSCRIBERS[1]!, { path: 'extra.txt', data: text('x') }]), options)).toBeUndefined();
    const huge = SUBSCRIBERS[1]!.map((m) => (m.path === 'README.txt' ? { ...m, data: bytes(5, options.tailSectors! * 2048) } : m));
    expect(rebaseLayout(masterLayout, inputs(huge), options)).toBeUndefined();
  });

  it('stores only a few sectors: far smaller than the image', () => {
    for (const f of further) {
      const size = statSync(f.thin).size;
      expect(readFileSync(f.thin).subarray(0, THIN_MAGIC.length).toString('latin1')).toBe(THIN_MAGIC);
      expect(size).toBeLessThan(statSync(master).size / 10);
      expect(size).toBeLessThan(masterLayout.tail!.used * 2048);
    }
  });

  it('exports byte for byte the image mastering the subscriber in full gives, with the recorded SHA-256', async () => {
    for (const f of further) {
      const out = `${f.thin}.exported.iso`;
      const r = await exportImage(f.thin, out);
      const got = readFileSync(out);
      expect(got.equals(readFileSync(f.direct))).toBe(true);
      expect(r).toEqual({ bytes: got.length, sha256: f.sha256, thin: true });
      expect(sha256(got)).toBe(f.sha256);
      expect(got.equals(readFileSync(master))).toBe(false);
      expect(existsSync(`${out}.partial`)).toBe(false);
    }
  });

  it('reads through openImageFile() at any position and length like the full image', async () => {
    const f = further[0]!;
    const full = readFileSync(f.direct);
    const image = await openImageFile(f.thin);
    try {
      expect(image.bytes).toBe(full.length);
      expect(image.thin?.sha256).toBe(f.sha256);
      const tailStart = masterLayout.tail!.lba * 2048;
      for (const [position, length] of [[0, 100], [tailStart - 5, 10_000], [tailStart + 2047, 70_001], [full.length - 3, 3], [full.length - 3, 100], [full.length, 10]] as const) {
        const buf = Buffer.alloc(length);
        const { bytesRead } = await image.read(buf, 0, length, position);
        const want = full.subarray(position, position + length);
        expect(bytesRead).toBe(want.length);
        expect(buf.subarray(0, bytesRead).equals(want)).toBe(true);
      }
    } finally {
      await image.close();
    }
  });

  it('passes checkIso() and lists and reads the subscriber\'s own files through openIso()', async () => {
    const f = further[1]!;
    expect((await checkIso(f.thin)).problems).toEqual([]);
    const iso = await openIso(f.thin);
    try {
      const chunks: Buffer[] = [];
      for await (const c of iso.createReadStream('MANIFEST.json')) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(Buffer.from(f.meta[0]!.data))).toBe(true);
      expect(iso.entries().filter((e) => !e.isDir).length).toBe(UPDATES.length + f.meta.length);
    } finally {
      await iso.close();
    }
  });

  const tools = requireTools('7z', 'bsdtar', 'xorriso', 'isoinfo');
  it.skipIf(!tools)('exports an image that 7z, bsdtar, xorriso and isoinfo extract to every file with its SHA-256', async () => {
    const f = further[0]!;
    const iso = join(dir, 'checked.iso');
    await exportImage(f.thin, iso);
    const expected = new Map([...UPDATES, ...f.meta].map((t) => [t.path, sha256(t.data)]));
    const extract = (name: string, cmd: string, args: (out: string) => string[]): Map<string, string> => {
      const out = join(dir, name);
      mkdirSync(out);
      run(cmd, args(out));
      return hashTree(out);
    };
    expect(sorted(extract('x7z', '7z', (out) => ['x', '-y', `-o${out}`, iso]))).toEqual(sorted(expected));
    expect(sorted(extract('xbsd', 'bsdtar', (out) => ['-xf', iso, '-C', out]))).toEqual(sorted(expected));
    expect(sorted(extract('xorr', 'xorriso', (out) => ['-osirrox', 'on', '-indev', iso, '-extract', '/', out]))).toEqual(sorted(expected));
    // isoinfo reads the plain ECMA-119 tree (8.3 names): the manifest by its primary identifier.
    expect(runBytes('isoinfo', ['-i', iso, '-x', '/MANIFEST.JSON;1']).equals(Buffer.from(f.meta[0]!.data))).toBe(true);
  });

  it('with share auto, clones where the filesystem can and writes a thin image where it cannot', async () => {
    const layout = planFromMaster(masterLayout, inputs(SUBSCRIBERS[3]!), options);
    const r = await writeIsoPatch({ path: master, layout: masterLayout, sha256: masterSha }, layout, join(dir, 'auto.iso'), { share: 'auto' });
    expect(['reflink', 'thin']).toContain(r.clone);
    expect(r.path).toBe(r.clone === 'thin' ? join(dir, 'auto.iso.thin') : join(dir, 'auto.iso'));
    expect(r.sha256).toBe(further[2]!.sha256);
    const out = join(dir, 'auto-exported.iso');
    expect((await exportImage(r.path, out)).sha256).toBe(r.sha256);
  });

  it('names the missing master, refuses a resized one, and refuses to export from a changed one without leaving a file', async () => {
    const f = further[0]!;
    const moved = join(dir, 'moved');
    mkdirSync(moved);
    copyFileSync(f.thin, join(moved, 'alone.iso.thin'));
    await expect(openImageFile(join(moved, 'alone.iso.thin'))).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('ACME-001.iso') });

    const spare = join(dir, 'spare');
    mkdirSync(spare);
    const masterCopy = join(spare, 'ACME-001.iso');
    copyFileSync(master, masterCopy);
    copyFileSync(f.thin, join(spare, 'sub.iso.thin'));
    // Same size, one byte changed inside an update file: reads go on, the export's hash check fails.
    const bytesOf = readFileSync(masterCopy);
    const at = masterLayout.files.find((x) => !x.inTail && x.size > 0)!.lba * 2048 + 10;
    bytesOf[at] = bytesOf[at]! ^ 0xff;
    writeFileSync(masterCopy, bytesOf);
    const out = join(spare, 'out.iso');
    await expect(exportImage(join(spare, 'sub.iso.thin'), out)).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);

    truncateSync(masterCopy, bytesOf.length - 2048);
    await expect(openImageFile(join(spare, 'sub.iso.thin'))).rejects.toMatchObject({ code: 'ISO_CORRUPT', message: expect.stringMatching(/has \d+ bytes/) });
  });

  it('refuses a damaged thin image with ISO_CORRUPT', async () => {
    const f = further[0]!;
    const good = readFileSync(f.thin);
    const cases: [string, Buffer][] = [
      ['cut', good.subarray(0, good.length - 1)],
      ['longer', Buffer.concat([good, Buffer.from([0])])],
      ['header', Buffer.from(good.toString('latin1').replace('"segments":[[', '"segments":[["x",'), 'latin1')],
      ['json', Buffer.concat([Buffer.from(THIN_MAGIC), Buffer.from('{not json\n')])],
    ];
    for (const [name, data] of cases) {
      const p = join(dir, `bad-${name}.iso.thin`);
      writeFileSync(p, data);
      await expect(openImageFile(p), name).rejects.toMatchObject({ code: 'ISO_CORRUPT' });
    }
  });

  it('patchdisc iso export writes the image to a file or to standard output, and iso check accepts the thin image', () => {
    const f = further[1]!;
    const out = join(dir, 'cli.iso');
    const line = run(process.execPath, [BIN, 'iso', 'export', f.thin, '--out', out]);
    expect(line).toContain(f.sha256);
    expect(sha256(readFileSync(out))).toBe(f.sha256);
    expect(sha256(runBytes(process.execPath, [BIN, 'iso', 'export', f.thin, '--out', '-']))).toBe(f.sha256);
    expect(run(process.execPath, [BIN, 'iso', 'check', f.thin])).toMatch(/ok \(volume PATCH_26W40_1OF1/);
    expect(() => run(process.execPath, [BIN, 'iso', 'export', f.thin])).toThrow(/--out FILE\.iso/);
  });
});
