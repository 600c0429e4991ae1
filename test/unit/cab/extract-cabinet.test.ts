import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { extractCabinet, memberPathSegments } from '../../../src/cab/extract-cabinet.ts';
import { openCabinet } from '../../../src/cab/open-cabinet.ts';
import type { Cabinet } from '../../../src/cab/open-cabinet.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { buildCabinet, storedBlocks } from './cab-builder.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** 3 members over 5 stored blocks of 1000 bytes; the second starts and ends inside blocks. */
function threeMemberCab(): { bytes: Buffer; data: Buffer } {
  const data = Buffer.alloc(4_500);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
  const bytes = buildCabinet({
    folders: [{ typeCompress: 0, blocks: storedBlocks(data, 1000) }],
    files: [
      { name: 'a.bin', size: 1500, offset: 0, folder: 0 },
      { name: 'sub\\deeper\\b.bin', size: 2250, offset: 1500, folder: 0 },
      { name: 'c.bin', size: 750, offset: 3750, folder: 0 },
      { name: 'empty', size: 0, offset: 4500, folder: 0 },
    ],
  });
  return { bytes, data };
}

describe('extractCabinet()', () => {
  it('writes members spanning block boundaries, turning backslashes into folders', async () => {
    const { bytes, data } = threeMemberCab();
    const tmp = makeTempDir();
    try {
      const cab = await openCabinet(bytes, { label: 't.cab' });
      const got = await extractCabinet(cab, tmp.dir);
      expect(got).toEqual([
        { path: join(tmp.dir, 'a.bin'), size: 1500, sha256: sha(data.subarray(0, 1500)) },
        { path: join(tmp.dir, 'sub', 'deeper', 'b.bin'), size: 2250, sha256: sha(data.subarray(1500, 3750)) },
        { path: join(tmp.dir, 'c.bin'), size: 750, sha256: sha(data.subarray(3750)) },
        { path: join(tmp.dir, 'empty'), size: 0, sha256: sha(new Uint8Array(0)) },
      ]);
      expect(readFileSync(join(tmp.dir, 'sub', 'deeper', 'b.bin')).equals(data.subarray(1500, 3750))).toBe(true);
      expect(readdirSync(tmp.dir).sort()).toEqual(['a.bin', 'c.bin', 'empty', 'sub']);
    } finally {
      tmp.remove();
    }
  });

  it('gives the same files through the public Cabinet interface of another implementation', async () => {
    const { bytes, data } = threeMemberCab();
    const real = await openCabinet(bytes, { label: 't.cab' });
    const wrapped: Cabinet = {
      label: real.label,
      members: real.members,
      folders: real.folders,
      openMember: (name, options) => real.openMember(name, options),
      readMember: (name) => real.readMember(name),
      close: () => real.close(),
    };
    const tmp = makeTempDir();
    try {
      const got = await extractCabinet(wrapped, tmp.dir);
      expect(got.map((g) => g.sha256)).toEqual([
        sha(data.subarray(0, 1500)),
        sha(data.subarray(1500, 3750)),
        sha(data.subarray(3750)),
        sha(new Uint8Array(0)),
      ]);
    } finally {
      tmp.remove();
    }
  });

  it('refuses absolute names, drive letters and .. components before writing anything', async () => {
    for (const name of ['..\\evil.txt', 'a\\..\\..\\evil.txt', '\\abs.txt', '/abs.txt', 'C:\\x.txt', 'a\\\\b']) {
      const bytes = buildCabinet({
        folders: [{ typeCompress: 0, blocks: storedBlocks(Buffer.from('xx')) }],
        files: [
          { name: 'fine.txt', size: 1, offset: 0, folder: 0 },
          { name, size: 1, offset: 1, folder: 0 },
        ],
      });
      const tmp = makeTempDir();
      try {
        const cab = await openCabinet(bytes, { label: 'evil.cab' });
        const err = await extractCabinet(cab, tmp.dir).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isPatchdiscError(err, 'NAME_INVALID'), `${name}: ${String(err)}`).toBe(true);
        expect((err as Error).message).toContain('evil.cab');
        expect(readdirSync(tmp.dir)).toEqual([]);
      } finally {
        tmp.remove();
      }
    }
  });

  it('splits safe names into path segments', () => {
    expect(memberPathSegments('l\\en\\123456', 'x.cab')).toEqual(['l', 'en', '123456']);
    expect(memberPathSegments('x/000001', 'x.cab')).toEqual(['x', '000001']);
  });

  it('stops with ABORTED and leaves no temporary file when the signal fires', async () => {
    const { bytes } = threeMemberCab();
    const tmp = makeTempDir();
    try {
      const cab = await openCabinet(bytes, { label: 't.cab' });
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      const err = await extractCabinet(cab, tmp.dir, { signal: controller.signal }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isPatchdiscError(err, 'ABORTED'), String(err)).toBe(true);
      const leftovers = readdirSync(tmp.dir, { recursive: true }).map(String);
      expect(leftovers.filter((f) => f.includes('.partial-'))).toEqual([]);
    } finally {
      tmp.remove();
    }
  });
});

describe('Cabinet.openMember()', () => {
  it('streams a member that starts and ends inside blocks, equal to readMember', async () => {
    const { bytes, data } = threeMemberCab();
    const cab = await openCabinet(bytes);
    const parts: Buffer[] = [];
    const stream: Readable = cab.openMember('sub/deeper/b.bin');
    for await (const chunk of stream) parts.push(chunk as Buffer);
    expect(Buffer.concat(parts).equals(data.subarray(1500, 3750))).toBe(true);
    expect((await cab.readMember('sub\\deeper\\b.bin')).equals(data.subarray(1500, 3750))).toBe(true);
  });

  it('reads a cabinet from a path with positioned reads and fails after close', async () => {
    const { bytes, data } = threeMemberCab();
    const tmp = makeTempDir();
    try {
      const file = join(tmp.dir, 'p.cab');
      await import('node:fs/promises').then((fs) => fs.writeFile(file, bytes));
      const cab = await openCabinet(file);
      expect(cab.label).toBe('p.cab');
      expect((await cab.readMember('c.bin')).equals(data.subarray(3750))).toBe(true);
      await cab.close();
      expect(() => cab.openMember('c.bin')).toThrow(/the cabinet is closed/);
    } finally {
      tmp.remove();
    }
  });
});
