import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { READ_AHEAD_BYTES, fileSource } from '../../../src/cab/cab-source.ts';
import { makeTempDir } from '../../helpers/tools.ts';

describe('fileSource()', () => {
  it('returns exactly the bytes asked for at any offset, across and beyond its read-ahead window, and earlier views stay valid', async () => {
    const tmp = makeTempDir();
    try {
      const data = randomBytes(3 * READ_AHEAD_BYTES + 12_345);
      const path = join(tmp.dir, 'x.cab');
      writeFileSync(path, data);
      const src = await fileSource(path);
      try {
        expect(src.size).toBe(data.length);
        // Sequential small reads (block headers and blocks), as readFolderBlocks does.
        const views: { at: number; bytes: Uint8Array }[] = [];
        for (let at = 0; at < data.length; ) {
          const head = await src.read(at, 8);
          views.push({ at, bytes: head });
          const body = await src.read(at + 8, 32_768);
          views.push({ at: at + 8, bytes: body });
          at += 8 + body.length;
        }
        for (const v of views) expect(Buffer.compare(Buffer.from(v.bytes), data.subarray(v.at, v.at + v.bytes.length))).toBe(0);
        // Backwards, straddling a window edge, larger than the window, at and past the end.
        const cases: [number, number][] = [[READ_AHEAD_BYTES - 3, 10], [5, 100], [0, 2 * READ_AHEAD_BYTES + 7], [data.length - 4, 100], [data.length, 10], [data.length + 50, 10]];
        for (const [offset, length] of cases) {
          const got = await src.read(offset, length);
          expect(Buffer.compare(Buffer.from(got), data.subarray(offset, offset + length)), `${offset}+${length}`).toBe(0);
        }
      } finally {
        await src.close();
      }
    } finally {
      tmp.remove();
    }
  });
});
