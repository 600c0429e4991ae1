import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CaseResult } from '../../../bench/lib/bench-case.ts';
import { summarise } from '../../../bench/lib/measure.ts';
import { combineVerdicts, median, megabytesPerSecond, parseSize, percentile, ratio, verdictAtMost } from '../../../bench/lib/stats.ts';
import { formatRatio, formatTable } from '../../../bench/lib/table.ts';
import { payloadName, planTree, writeTree, Xorshift128 } from '../../../bench/lib/tree.ts';
import { makeTempDir } from '../../helpers/tools.ts';

describe('bench stats', () => {
  it('median() takes the middle value, or the mean of the two middle values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it('percentile() uses the nearest rank', () => {
    const values = Array.from({ length: 50 }, (_, i) => i + 1);
    expect(percentile(values, 95)).toBe(48);
    expect(percentile(values, 50)).toBe(25);
    expect(percentile(values, 100)).toBe(50);
    expect(percentile([7], 95)).toBe(7);
    expect(() => percentile(values, 101)).toThrow(RangeError);
  });

  it('ratio() is ours over the reference and undefined without both times', () => {
    expect(ratio(2, 4)).toBe(0.5);
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(undefined, 2)).toBeUndefined();
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(1, Number.NaN)).toBeUndefined();
  });

  it('megabytesPerSecond() counts MB as 10^6 bytes', () => {
    expect(megabytesPerSecond(500_000_000, 2)).toBe(250);
    expect(megabytesPerSecond(1, 0)).toBeUndefined();
  });

  it('parseSize() reads binary and decimal units and rejects junk', () => {
    expect(parseSize('256MiB')).toBe(256 * 1024 * 1024);
    expect(parseSize('2GiB')).toBe(2 * 1024 ** 3);
    expect(parseSize('64MB')).toBe(64_000_000);
    expect(parseSize('4096')).toBe(4096);
    expect(() => parseSize('lots')).toThrow(/Cannot read size/);
    expect(() => parseSize('0MiB')).toThrow(/positive/);
  });

  it('verdicts: at most the limit meets, above misses, missing is n/a; one miss fails a combination', () => {
    expect(verdictAtMost(1.0, 1.0)).toBe('meets');
    expect(verdictAtMost(1.01, 1.0)).toBe('misses');
    expect(verdictAtMost(undefined, 1.0)).toBe('n/a');
    expect(combineVerdicts(['meets', 'misses'])).toBe('misses');
    expect(combineVerdicts(['meets', 'n/a'])).toBe('n/a');
    expect(combineVerdicts(['meets', 'meets'])).toBe('meets');
  });
});

describe('bench summarise() and table', () => {
  it('summarise() gives the median time and median peak RSS in MB', () => {
    const m = summarise({ label: 'ours', availability: 'ok', bytes: 1e9 }, [
      { seconds: 3, peakRssKiB: 1000 },
      { seconds: 1, peakRssKiB: 3000 },
      { seconds: 2, peakRssKiB: 2000 },
    ]);
    expect(m.median).toBe(2);
    expect(m.peakRssMB).toBeCloseTo(2.048, 6);
    expect(m.seconds).toEqual([3, 1, 2]);
  });

  it('summarise() marks a failed subject and keeps its reason', () => {
    const m = summarise({ label: 'genisoimage', availability: 'ok' }, [], 'exited with 1');
    expect(m.status).toBe('failed');
    expect(m.note).toBe('exited with 1');
    expect(m.median).toBeUndefined();
  });

  it('formatTable() prints each reference with its ratio, statuses for missing tools, and notes', () => {
    const results: CaseResult[] = [
      {
        name: 'master',
        goal: '≤ 1.0× genisoimage',
        ours: { label: 'ours', status: 'ok', seconds: [2], median: 2, bytes: 1e9 },
        refs: [
          { label: 'genisoimage', status: 'ok', seconds: [4], median: 4, bytes: 1e9 },
          { label: 'xorriso', status: 'tool missing', seconds: [] },
        ],
        verdict: 'meets',
        notes: ['a note'],
      },
    ];
    const text = formatTable(results);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^case\s+ours \(median\)\s+reference median → ratio ours\/ref\s+goal\s+verdict$/);
    expect(lines[2]).toContain('master');
    expect(lines[2]).toContain('2.000 s (500 MB/s)');
    expect(lines[2]).toContain('genisoimage: 4.000 s (250 MB/s) → 0.50×');
    expect(lines[2]).toMatch(/meets$/);
    expect(lines[3]).toContain('xorriso: tool missing → —');
    expect(lines[4]).toBe('    · a note');
    expect(formatRatio(results[0]!.ours, results[0]!.refs[1]!)).toBe('—');
  });
});

describe('bench tree generator', () => {
  it('planTree() is deterministic and sums to the requested size', () => {
    const a = planTree(64 << 20, 3);
    const b = planTree(64 << 20, 3);
    expect(a).toEqual(b);
    expect(a.reduce((s, f) => s + f.size, 0)).toBe(64 << 20);
    expect(planTree(64 << 20, 4)).not.toEqual(a);
    expect(new Set(a.map((f) => f.path)).size).toBe(a.length);
    // a few large files and more small ones
    expect(a.filter((f) => f.size >= 8 << 20).length).toBeGreaterThan(0);
    expect(a.filter((f) => f.size < 4 << 20).length).toBeGreaterThan(a.filter((f) => f.size >= 8 << 20).length);
  });

  it('payloadName() gives 70–80-character names ending in _<40 hex>.<ext>', () => {
    const rng = new Xorshift128(9);
    for (let i = 0; i < 500; i += 1) {
      const name = payloadName(rng);
      expect(name.length).toBeGreaterThanOrEqual(70);
      expect(name.length).toBeLessThanOrEqual(80);
      expect(name).toMatch(/_[0-9a-f]{40}\.(msu|cab|exe)$/);
    }
  });

  it('writeTree() writes the same bytes and digests for the same seed', async () => {
    const { dir, remove } = makeTempDir('patchdisc-bench-test-');
    try {
      const one = await writeTree(join(dir, 'a'), 3 << 20, 5);
      const two = await writeTree(join(dir, 'b'), 3 << 20, 5);
      expect(two.files).toEqual(one.files);
      const first = one.files[0]!;
      const bytesA = await readFile(join(one.root, first.path));
      const bytesB = await readFile(join(two.root, first.path));
      expect(bytesA.equals(bytesB)).toBe(true);
      expect(bytesA.length).toBe(first.size);
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(bytesA).digest('hex')).toBe(first.sha256);
      expect(createHash('sha1').update(bytesA).digest('hex')).toBe(first.sha1);
    } finally {
      remove();
    }
  });
});
