import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { planIsoLayout, type IsoFileInput } from '../../../src/iso/layout.ts';
import { ioError, writeIso } from '../../../src/iso/write-iso.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { DATE, bytes, sha256, writeSourceTree } from './iso-test-tree.ts';

const OPTIONS = { volumeId: 'REBUILD', publisher: 'Contoso', date: DATE };

function sampleFiles(): { path: string; data: Uint8Array }[] {
  return [
    { path: 'b/second.msu', data: bytes(1, 3_000_000) },
    { path: 'a/first.cab', data: bytes(2, 5000) },
    { path: 'c/空.txt', data: new Uint8Array(0) },
  ];
}

describe('writeIso()', () => {
  it('builds byte-identical images from the same inputs in any order, and returns their SHA-256', async () => {
    const { dir, remove } = makeTempDir();
    try {
      const inputs = writeSourceTree(dir, sampleFiles());
      const one = await writeIso(planIsoLayout(inputs, OPTIONS), join(dir, 'one.iso'));
      const two = await writeIso(planIsoLayout([...inputs].reverse(), OPTIONS), join(dir, 'two.iso'));
      const a = readFileSync(one.path);
      expect(one.sha256).toBe(sha256(a));
      expect(one.bytes).toBe(a.length);
      expect(two.sha256).toBe(one.sha256);
      expect(Buffer.compare(a, readFileSync(two.path))).toBe(0);
      const later = await writeIso(planIsoLayout(inputs, { ...OPTIONS, date: DATE + 1 }), join(dir, 'three.iso'));
      expect(later.sha256).not.toBe(one.sha256);
    } finally {
      remove();
    }
  });

  it('reports progress up to the total and writes whole 1 MiB+ chunks', async () => {
    const { dir, remove } = makeTempDir();
    try {
      const layout = planIsoLayout(writeSourceTree(dir, sampleFiles()), OPTIONS);
      const seen: number[] = [];
      await writeIso(layout, join(dir, 'p.iso'), { onProgress: (w, t) => { expect(t).toBe(layout.totalBytes); seen.push(w); } });
      expect(seen.at(-1)).toBe(layout.totalBytes);
      for (let i = 1; i < seen.length - 1; i++) expect((seen[i] as number) - (seen[i - 1] as number)).toBeGreaterThanOrEqual(1024 * 1024);
    } finally {
      remove();
    }
  });

  it('fails with SIZE_MISMATCH when a source file changed after planning, leaving no image behind', async () => {
    for (const delta of [-1, 1]) {
      const { dir, remove } = makeTempDir();
      try {
        const inputs = writeSourceTree(dir, sampleFiles());
        const layout = planIsoLayout(inputs, OPTIONS);
        const changed = inputs[0] as IsoFileInput;
        if (changed.source.kind !== 'file') throw new Error('expected a file source');
        writeFileSync(changed.source.path, bytes(1, 3_000_000 + delta));
        const out = join(dir, 'bad.iso');
        const err = await writeIso(layout, out).catch((e: unknown) => e);
        expect(isPatchdiscError(err, 'SIZE_MISMATCH')).toBe(true);
        expect((err as Error).message).toContain('b/second.msu');
        expect(existsSync(out)).toBe(false);
        expect(existsSync(`${out}.partial`)).toBe(false);
      } finally {
        remove();
      }
    }
  });

  it('stops with ABORTED when the signal fires mid-write and removes the partial file', async () => {
    const { dir, remove } = makeTempDir();
    try {
      const layout = planIsoLayout(writeSourceTree(dir, [{ path: 'big.bin', data: bytes(3, 12_000_000) }]), OPTIONS);
      const controller = new AbortController();
      const out = join(dir, 'abort.iso');
      const err = await writeIso(layout, out, { signal: controller.signal, onProgress: (w) => { if (w > 2_000_000) controller.abort(); } }).catch((e: unknown) => e);
      expect(isPatchdiscError(err, 'ABORTED')).toBe(true);
      expect(readdirSync(dir).filter((n) => n.startsWith('abort'))).toEqual([]);
    } finally {
      remove();
    }
  });

  it('fails with NOT_FOUND naming a missing source file', async () => {
    const { dir, remove } = makeTempDir();
    try {
      const layout = planIsoLayout([{ path: 'x.msu', size: 3, source: { kind: 'file', path: join(dir, 'missing.msu') } }], OPTIONS);
      const err = await writeIso(layout, join(dir, 'm.iso')).catch((e: unknown) => e);
      expect(isPatchdiscError(err, 'NOT_FOUND')).toBe(true);
      expect((err as Error).message).toContain('missing.msu');
      expect(existsSync(join(dir, 'm.iso.partial'))).toBe(false);
    } finally {
      remove();
    }
  });
});

describe('ioError()', () => {
  const withCode = (code: string): Error => Object.assign(new Error(`${code}: failed`), { code });
  it('maps a full disk, a quota and a file-size limit to DISK_FULL, a missing file to NOT_FOUND', () => {
    expect(ioError(withCode('ENOSPC'), 'Cannot write a.iso')).toMatchObject({ code: 'DISK_FULL' });
    expect(ioError(withCode('EDQUOT'), 'Cannot write a.iso')).toMatchObject({ code: 'DISK_FULL' });
    expect(ioError(withCode('EFBIG'), 'Cannot write a.iso')).toMatchObject({ code: 'DISK_FULL', message: expect.stringContaining('ulimit -f') });
    expect(ioError(withCode('ENOENT'), 'Cannot read b')).toMatchObject({ code: 'NOT_FOUND' });
    expect(ioError(withCode('EIO'), 'Cannot write a.iso')).toMatchObject({ code: 'INTERNAL', message: 'Cannot write a.iso: EIO: failed' });
  });
});
