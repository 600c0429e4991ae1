import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIso } from '../../../src/iso/check-iso.ts';
import { planIsoLayout, tailReserveFor, tailSectorsUsed, TAIL_PADDING_SECTORS, TAIL_RESERVE_MIN, TAIL_RESERVE_UNIT, type IsoFileInput, type IsoLayout, type IsoOptions } from '../../../src/iso/layout.ts';
import { SECTOR_SIZE } from '../../../src/iso/volume-descriptor.ts';
import { patchIncompatibility, writeIsoPatch } from '../../../src/iso/write-iso-patch.ts';
import { writeIso } from '../../../src/iso/write-iso.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';
import { DATE, bytes, hashTree, run, sha256, sorted, writeSourceTree, type TreeFile } from './iso-test-tree.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The shared update files: several folders, a multi-sector file, an empty one, a Chinese name. */
const UPDATES: TreeFile[] = [
  { path: 'updates/windows-10/KB5034441/windows10.0-kb5034441-x64.msu', data: bytes(1, 700_001) },
  { path: 'updates/windows-10/KB5034122/windows10.0-kb5034122-x64.msu', data: bytes(2, 4096) },
  { path: 'updates/office/KB5002469/更新说明.cab', data: bytes(3, 12_345) },
  { path: 'updates/office/KB5002469/empty.txt', data: new Uint8Array(0) },
];

/** Per-subscriber files of different sizes (a longer code, a bigger sequence). */
function metadata(code: string, sequence: number): TreeFile[] {
  const manifest = JSON.stringify({ subscriberId: code, sequence, note: 'x'.repeat(sequence * 300) });
  return [
    { path: 'MANIFEST.json', data: text(manifest) },
    { path: 'MANIFEST.json.sig', data: bytes(sequence, 384) },
    { path: 'SHA256SUMS', data: text(`# subscriberId: ${code}\n# sequence: ${sequence}\n`) },
    { path: 'README.txt', data: text(`disc for ${code}\n`.repeat(sequence)) },
    { path: 'keys/0123456789abcdef.cer', data: bytes(99, 1200) },
  ];
}

const OPTIONS: IsoOptions = { volumeId: 'PATCH_26W40_1OF1', publisher: 'Contoso', date: DATE };

describe('writeIsoPatch()', () => {
  let dir = '';
  let remove = (): void => undefined;
  let updates: IsoFileInput[] = [];
  let tailSectors = 0;
  const inputs = (meta: TreeFile[]): IsoFileInput[] => [
    ...meta.map((m) => ({ path: m.path, size: m.data.length, source: { kind: 'buffer' as const, data: m.data }, tail: true })),
    ...updates,
  ];
  const layoutOf = (meta: TreeFile[], options: Partial<IsoOptions> = {}): IsoLayout =>
    planIsoLayout(inputs(meta), { ...OPTIONS, tailSectors, ...options });
  const metaA = metadata('DEMO-CD-001', 1);
  const metaB = metadata('DEMO-DVD-SUBSCRIBER-0002', 7);
  let isoA = '';
  let patched = '';
  let direct = '';
  let patchSha = '';
  let directSha = '';

  beforeAll(async () => {
    ({ dir, remove } = makeTempDir('patchdisc-patch-'));
    updates = writeSourceTree(dir, UPDATES);
    tailSectors = tailReserveFor(Math.max(tailSectorsUsed(inputs(metaA), OPTIONS), tailSectorsUsed(inputs(metaB), OPTIONS)));
    isoA = join(dir, 'a.iso');
    patched = join(dir, 'b-patched.iso');
    direct = join(dir, 'b-direct.iso');
    const a = await writeIso(layoutOf(metaA), isoA);
    const p = await writeIsoPatch({ path: isoA, layout: layoutOf(metaA), ...(a.checkpoint ? { checkpoint: a.checkpoint } : {}) }, layoutOf(metaB), patched);
    patchSha = p.sha256;
    expect(p.prefixBytesRead).toBe(0);
    directSha = (await writeIso(layoutOf(metaB), direct)).sha256;
  });
  afterAll(() => {
    if (dir !== '') run('chmod', ['-R', 'u+w', dir]); // extracted folders are 0555
    remove();
  });

  it('plans folders and per-subscriber files into a fixed tail after the update files', () => {
    const layout = layoutOf(metaB);
    const tail = layout.tail!;
    expect(tail.sectors).toBe(tailSectors);
    expect(tail.sectors * SECTOR_SIZE % TAIL_RESERVE_UNIT).toBe(0);
    expect(tail.sectors * SECTOR_SIZE).toBeGreaterThanOrEqual(TAIL_RESERVE_MIN);
    expect(tail.sectors).toBeGreaterThanOrEqual(tail.used);
    expect(layout.totalSectors).toBe(tail.lba + tail.sectors + TAIL_PADDING_SECTORS);
    const inTail = (lba: number, size: number): boolean => lba >= tail.lba && lba + Math.ceil(size / SECTOR_SIZE) <= tail.lba + tail.used;
    for (const n of layout.nodes.filter((x) => x.isDir)) {
      expect(inTail(n.primaryExtent.lba, n.primaryExtent.size), n.path).toBe(true);
      expect(inTail(n.jolietExtent.lba, n.jolietExtent.size), n.path).toBe(true);
    }
    for (const f of layout.files) {
      if (f.size === 0) continue;
      if (f.inTail) expect(inTail(f.lba, f.size), f.path).toBe(true);
      else expect(f.lba + Math.ceil(f.size / SECTOR_SIZE), f.path).toBeLessThanOrEqual(tail.lba);
    }
    // Same image size and same update-file places whoever the subscriber is.
    expect(layoutOf(metaA).totalSectors).toBe(layout.totalSectors);
    expect(patchIncompatibility(layoutOf(metaA), layout)).toBeUndefined();
  });

  it('makes an image byte-identical to mastering the subscriber in full, with the exact SHA-256', () => {
    const got = readFileSync(patched);
    expect(got.equals(readFileSync(direct))).toBe(true);
    expect(patchSha).toBe(directSha);
    expect(sha256(got)).toBe(patchSha);
    // It really is the other subscriber's image, not a copy of the master.
    expect(got.equals(readFileSync(isoA))).toBe(false);
  });

  it('rebuilds the hash checkpoint by reading the master when none is given', async () => {
    const out = join(dir, 'b-again.iso');
    const r = await writeIsoPatch({ path: isoA, layout: layoutOf(metaA) }, layoutOf(metaB), out);
    expect(r.prefixBytesRead).toBe(layoutOf(metaB).tail!.lba * SECTOR_SIZE);
    expect(r.sha256).toBe(directSha);
    expect(['reflink', 'copy']).toContain(r.clone);
    expect(statSync(`${out}.partial`, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('refuses layouts that differ before the tail, naming why', async () => {
    const otherUpdates = inputs(metaB).map((f) => (f.path.endsWith('kb5034122-x64.msu') ? { ...f, path: f.path.replace('5034122', '5034123') } : f));
    expect(patchIncompatibility(layoutOf(metaA), planIsoLayout(otherUpdates, { ...OPTIONS, tailSectors }))).toMatch(/update file/);
    expect(patchIncompatibility(layoutOf(metaA), layoutOf(metaB, { volumeId: 'PATCH_26W41_1OF1' }))).toMatch(/volume descriptors/);
    expect(patchIncompatibility(layoutOf(metaA), layoutOf(metaB, { tailSectors: tailSectors + 512 }))).toMatch(/tails differ/);
    const plain = planIsoLayout(inputs(metaA).map(({ tail: _tail, ...f }) => f), OPTIONS);
    expect(patchIncompatibility(plain, layoutOf(metaB))).toMatch(/reserved tail/);
    await expect(writeIsoPatch({ path: isoA, layout: layoutOf(metaA) }, layoutOf(metaB, { volumeId: 'OTHER' }), join(dir, 'x.iso'))).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('fails to plan when the per-subscriber files outgrow the reserve', () => {
    const big = [...metaB, { path: 'index.html', data: bytes(5, tailSectors * SECTOR_SIZE) }];
    expect(() => layoutOf(big)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => planIsoLayout(inputs(metaA), OPTIONS)).toThrow(/no tail is reserved/);
  });

  const expected = new Map([...UPDATES, ...metaB].map((f) => [f.path, sha256(f.data)]));
  const extract = (name: string, cmd: string, args: (out: string) => string[]): Map<string, string> => {
    const out = join(dir, name);
    mkdirSync(out);
    run(cmd, args(out));
    return hashTree(out);
  };

  it('passes checkIso() with every file readable', async () => {
    const r = await checkIso(patched);
    expect(r.problems).toEqual([]);
    expect(r.files).toBe(expected.size);
  });

  const has7z = requireTools('7z');
  it.skipIf(!has7z)('extracts with 7z (Joliet) to every file with its SHA-256', () => {
    expect(sorted(extract('7z', '7z', (out) => ['x', '-y', `-o${out}`, patched]))).toEqual(sorted(expected));
  });

  const hasBsdtar = requireTools('bsdtar');
  it.skipIf(!hasBsdtar)('extracts with bsdtar (Rock Ridge) to every file with its SHA-256', () => {
    expect(sorted(extract('bsdtar', 'bsdtar', (out) => ['-xf', patched, '-C', out]))).toEqual(sorted(expected));
  });

  const hasXorriso = requireTools('xorriso');
  it.skipIf(!hasXorriso)('extracts with xorriso -osirrox (Rock Ridge) to every file with its SHA-256', () => {
    expect(sorted(extract('xorriso', 'xorriso', (out) => ['-osirrox', 'on', '-indev', patched, '-extract', '/', out]))).toEqual(sorted(expected));
  });
});
