import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, openSync, writeSync, closeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { checkIso } from '../../../src/iso/check-iso.ts';
import { MULTI_EXTENT_SIZE, planIsoLayout } from '../../../src/iso/layout.ts';
import { openIso } from '../../../src/iso/read-iso.ts';
import { writeIso } from '../../../src/iso/write-iso.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';
import { DATE, run } from './iso-test-tree.ts';

const BIG = process.env['CI'] === 'true' || process.env['PATCHDISC_BIG_TESTS'] === '1';

async function hashStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function hashCommand(cmd: string, args: string[]): Promise<string> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const done = new Promise<void>((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`)))));
  return Promise.all([hashStream(child.stdout), done]).then(([h]) => h);
}

describe('writeIso() multi-extent file over 4 GiB', () => {
  // Only in CI or with PATCHDISC_BIG_TESTS=1: writes a ~4.3 GB image plus one extracted copy.
  const tools = BIG && requireTools('bsdtar', 'xorriso', '7z');
  it.skipIf(!BIG || !tools)('is read back identically by our reader, bsdtar, 7z and xorriso', async () => {
    const { dir, remove } = makeTempDir('patchdisc-big-');
    try {
      const size = MULTI_EXTENT_SIZE + 5 * 1024 * 1024 + 3;
      const src = join(dir, 'huge.wim');
      const fd = openSync(src, 'w');
      ftruncateSync(fd, size); // sparse; markers around the extent boundary catch misplaced extents
      for (const [at, text] of [[0, 'start'], [MULTI_EXTENT_SIZE - 5, 'edge-'], [MULTI_EXTENT_SIZE, 'second'], [size - 3, 'end']] as const) {
        writeSync(fd, Buffer.from(text), 0, text.length, at);
      }
      closeSync(fd);
      const expected = await hashStream(createReadStream(src, { highWaterMark: 4 << 20 }));
      const iso = join(dir, 'big.iso');
      const layout = planIsoLayout([{ path: 'sources/huge.wim', size, source: { kind: 'file', path: src } }, { path: 'after.txt', size: 2, source: { kind: 'buffer', data: Buffer.from('ok') } }], {
        volumeId: 'BIG', date: DATE,
      });
      await writeIso(layout, iso);

      const check = await checkIso(iso, { readFiles: false });
      expect(check.problems).toEqual([]);
      const img = await openIso(iso, { tree: 'rockridge' });
      expect(img.entries().find((e) => e.path === 'sources/huge.wim')?.size).toBe(size);
      expect(await hashStream(img.createReadStream('sources/huge.wim'))).toBe(expected);
      await img.close();

      expect(await hashCommand('bsdtar', ['-xOf', iso, 'sources/huge.wim'])).toBe(expected);
      expect(await hashCommand('7z', ['x', '-so', iso, 'sources/huge.wim'])).toBe(expected);
      const out = join(dir, 'x');
      mkdirSync(out);
      run('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/sources/huge.wim', join(out, 'huge.wim')]);
      expect(await hashStream(createReadStream(join(out, 'huge.wim'), { highWaterMark: 4 << 20 }))).toBe(expected);
    } finally {
      remove();
    }
  }, 1_800_000);
});
