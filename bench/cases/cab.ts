/**
 * cab: extract a large MSZIP cabinet (built here with writeCabinet from ~64 MiB of XML-like text,
 * which compresses about as well as wsusscn2's detail fragments) and the LZX fixture (one 14.7 MB
 * member) with our reader (openCabinet + extractCabinet, which also hashes each member) against
 * cabextract, 7z and bsdtar.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BenchCase, CaseResult } from '../lib/bench-case.ts';
import { childSample, measureSideBySide, timeCommand, type Subject } from '../lib/measure.ts';
import { srcAvailability, toolAvailability } from '../lib/tools.ts';
import { Xorshift128 } from '../lib/tree.ts';

const MSZIP_BYTES = 64 << 20;
const MSZIP_MEMBERS = 8;
const LZX_FIXTURE = resolve(import.meta.dirname, '../../../shared/fixtures/cab/lzx21-cabextract-large-files/large-files-cab.cab');
const LZX_OUTPUT_BYTES = 14_689_228;

/** XML-ish lines with varying numbers and GUID-like ids: compresses, but not trivially. */
export function xmlishText(bytes: number, seed: number): Buffer {
  const rng = new Xorshift128(seed);
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const id = rng.nextU32().toString(16).padStart(8, '0');
    const line = `<Update RevisionId="${rng.int(1, 99_999_999)}" UpdateId="${id}-${rng.int(1000, 9999)}-4${rng.int(100, 999)}" IsBundle="${rng.next() < 0.3}"><Category Type="Product" Id="${rng.int(0, 65535).toString(16)}"/><File Size="${rng.int(1, 2 ** 31)}" Modified="20${rng.int(10, 25)}-0${rng.int(1, 9)}-1${rng.int(0, 9)}"/></Update>\n`;
    parts.push(line);
    length += line.length;
  }
  return Buffer.from(parts.join('').slice(0, bytes), 'latin1');
}

/** Module loading before the timer (see bench/child.ts). */
export const childWarmups = {
  async extract(): Promise<void> {
    await import('../../src/cab/open-cabinet.ts');
    await import('../../src/cab/extract-cabinet.ts');
  },
};

export const childTasks = {
  /** Opens and extracts a cabinet into `out`; returns the members' total size. */
  async extract(args: { cab: string; out: string }): Promise<number> {
    const { openCabinet } = await import('../../src/cab/open-cabinet.ts');
    const { extractCabinet } = await import('../../src/cab/extract-cabinet.ts');
    const cab = await openCabinet(args.cab);
    try {
      const files = await extractCabinet(cab, args.out);
      return files.reduce((s, f) => s + f.size, 0);
    } finally {
      await cab.close();
    }
  },
};

function subjects(cab: string, out: string, bytes: number, rssFile: string): Subject[] {
  const clean = (): Promise<void> => rm(out, { recursive: true, force: true });
  return [
    {
      label: 'ours',
      availability: srcAvailability('cab/open-cabinet.ts', 'cab/extract-cabinet.ts'),
      bytes,
      before: clean,
      run: childSample('cases/cab.ts', 'extract', { cab, out }),
    },
    { label: 'cabextract', availability: toolAvailability('cabextract'), bytes, before: clean, run: () => timeCommand('cabextract', ['-q', '-d', out, cab], { rssFile }) },
    { label: '7z', availability: toolAvailability('7z'), bytes, before: clean, run: () => timeCommand('7z', ['x', '-y', '-bd', `-o${out}`, cab], { rssFile }) },
    {
      label: 'bsdtar',
      availability: toolAvailability('bsdtar'),
      bytes,
      before: async () => {
        await clean();
        await mkdir(out, { recursive: true });
      },
      run: () => timeCommand('bsdtar', ['-xf', cab, '-C', out], { rssFile }),
    },
  ];
}

export const benchCase: BenchCase = {
  name: 'cab',
  goal: 'none set (info)',
  async run(ctx): Promise<CaseResult[]> {
    const out = join(ctx.tmp, 'cab-out');
    const rssFile = join(ctx.tmp, 'cab.rss');
    const results: CaseResult[] = [];

    const mszipCab = join(ctx.tmp, 'bench-mszip.cab');
    let mszipNote = 'writeCabinet not available';
    if (srcAvailability('cab/write-cabinet.ts') === 'ok') {
      const { writeCabinet } = await import('../../src/cab/write-cabinet.ts');
      const per = MSZIP_BYTES / MSZIP_MEMBERS;
      const members = Array.from({ length: MSZIP_MEMBERS }, (_, i) => ({ name: `fragments\\part${i + 1}.xml`, data: xmlishText(per, i + 1) }));
      const bytes = writeCabinet(members, { compression: 'mszip' });
      await writeFile(mszipCab, bytes);
      mszipNote = `${MSZIP_MEMBERS} members, ${(MSZIP_BYTES / 1e6).toFixed(1)} MB → ${(bytes.length / 1e6).toFixed(1)} MB cabinet`;
      ctx.log(`  built ${mszipNote}`);
      const [ours, ...refs] = await measureSideBySide(subjects(mszipCab, out, MSZIP_BYTES, rssFile), ctx.runs, ctx.log);
      results.push({ name: 'cab:mszip', goal: this.goal, ours: ours!, refs, verdict: 'n/a', notes: [mszipNote, 'ours also computes each member\'s SHA-256'] });
      await rm(mszipCab, { force: true });
    } else {
      results.push({ name: 'cab:mszip', goal: this.goal, ours: { label: 'ours', status: 'not available', seconds: [] }, refs: [], verdict: 'n/a', notes: [mszipNote] });
    }

    const [ours, ...refs] = await measureSideBySide(subjects(LZX_FIXTURE, out, LZX_OUTPUT_BYTES, rssFile), ctx.runs, ctx.log);
    results.push({ name: 'cab:lzx', goal: this.goal, ours: ours!, refs, verdict: 'n/a', notes: ['fixture lzx21-cabextract-large-files: LZX 2^21 window, one 14.7 MB member'] });
    await rm(out, { recursive: true, force: true });
    return results;
  },
};
