import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageSink, SINK_BUFFERS, SYNC_EVERY, WRITE_BUFFER_SIZE } from '../../../src/iso/image-sink.ts';
import { planIsoLayout } from '../../../src/iso/layout.ts';
import { SECTOR_SIZE } from '../../../src/iso/volume-descriptor.ts';
import { writeIso } from '../../../src/iso/write-iso.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { DATE, bytes, sha256, writeSourceTree } from './iso-test-tree.ts';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Feeds `data` to the sink as reads that land in reverse order of issue (later views first). */
async function readInto(sink: ImageSink, data: Uint8Array): Promise<void> {
  let at = 0;
  let lag = 12;
  while (at < data.length) {
    const from = at;
    const wait = (lag = Math.max(0, lag - 3));
    at += await sink.reserveRead(data.length - from, async (view) => {
      await delay(wait);
      view.set(data.subarray(from, from + view.length));
    });
  }
}

describe('ImageSink', () => {
  it('writes copies, zeros and out-of-order reads in image order past its ring, with their SHA-256 and checkpoint', async () => {
    const { dir, remove } = makeTempDir();
    try {
      const parts = [bytes(1, 100), bytes(2, 9 * 1024 * 1024 + 3), new Uint8Array(5000), bytes(3, 1024 * 1024), bytes(4, 7 * 1024 * 1024 + 11)];
      const expected = Buffer.concat(parts);
      expect(expected.length).toBeGreaterThan(SINK_BUFFERS * WRITE_BUFFER_SIZE);
      const checkpointAt = 13_000_001;
      const seen: number[] = [];
      const fh = await open(join(dir, 'image'), 'w');
      const sink = new ImageSink(fh, expected.length, { checkpointAt, onProgress: (w) => seen.push(w) });
      await sink.write(parts[0] as Uint8Array);
      await readInto(sink, parts[1] as Uint8Array);
      await sink.zeros(5000);
      await sink.write(parts[3] as Uint8Array);
      await readInto(sink, parts[4] as Uint8Array);
      expect(sink.offset).toBe(expected.length);
      const digest = await sink.finish();
      await fh.close();

      expect(Buffer.compare(readFileSync(join(dir, 'image')), expected)).toBe(0);
      expect(digest).toBe(sha256(expected));
      expect(sink.checkpoint?.offset).toBe(checkpointAt);
      expect(await sink.checkpoint?.digestWith([])).toBe(sha256(expected.subarray(0, checkpointAt)));
      expect(await sink.checkpoint?.digestWith([expected.subarray(checkpointAt)])).toBe(digest);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.at(-1)).toBe(expected.length);
    } finally {
      remove();
    }
  });

  it('fails finish() with the first failed read, refuses more bytes, and settle() waits for every read', async () => {
    const { dir, remove } = makeTempDir();
    try {
      const fh = await open(join(dir, 'image'), 'w');
      const sink = new ImageSink(fh, 3 * WRITE_BUFFER_SIZE);
      let slowLanded = false;
      await sink.reserveRead(WRITE_BUFFER_SIZE - 10, async () => {
        await delay(30);
        slowLanded = true;
      });
      await sink.reserveRead(10, async () => {
        await delay(1);
        throw new Error('disk on fire');
      });
      await expect(sink.finish()).rejects.toThrow('disk on fire');
      await expect(sink.zeros(1)).rejects.toThrow('disk on fire');
      await sink.settle();
      expect(slowLanded).toBe(true);
      await fh.close();
      // Nothing was written: the failed buffer never reached the file.
      expect(readFileSync(join(dir, 'image')).length).toBe(0);
    } finally {
      remove();
    }
  });
});

describe('ImageSink background datasyncs', () => {
  /** Counts the datasyncs a sink issues while taking `total` zero bytes. */
  async function datasyncsFor(durable: boolean | undefined, total: number): Promise<number> {
    const { dir, remove } = makeTempDir();
    try {
      const fh = await open(join(dir, 'image'), 'w');
      let syncs = 0;
      const datasync = fh.datasync.bind(fh);
      fh.datasync = async () => {
        syncs++;
        await datasync();
      };
      const sink = new ImageSink(fh, total, durable === undefined ? {} : { durable });
      await sink.zeros(total);
      await sink.finish();
      await fh.close();
      expect(readFileSync(join(dir, 'image')).length).toBe(total);
      return syncs;
    } finally {
      remove();
    }
  }

  it('starts writeback every SYNC_EVERY bytes by default, and never when the image is not to be durable', async () => {
    const total = 3 * SYNC_EVERY;
    expect(await datasyncsFor(undefined, total)).toBeGreaterThan(0);
    expect(await datasyncsFor(false, total)).toBe(0);
  });
});

describe('writeIso() with sources larger than a write buffer', () => {
  it('puts every source byte at its planned sector when files span and straddle several buffers', async () => {
    const { dir, remove } = makeTempDir();
    try {
      const files = [
        { path: 'big/one.msu', data: bytes(5, 2 * WRITE_BUFFER_SIZE + 777) },
        { path: 'big/two.cab', data: bytes(6, 3 * WRITE_BUFFER_SIZE - 5) },
        ...Array.from({ length: 40 }, (_, i) => ({ path: `small/f${i}.txt`, data: bytes(100 + i, 1 + i * 997) })),
        { path: 'big/three.exe', data: bytes(7, WRITE_BUFFER_SIZE + 1) },
      ];
      const layout = planIsoLayout(writeSourceTree(dir, files), { volumeId: 'SPAN', date: DATE });
      const result = await writeIso(layout, join(dir, 'span.iso'));
      const image = readFileSync(result.path);
      expect(image.length).toBe(layout.totalBytes);
      expect(result.sha256).toBe(createHash('sha256').update(image).digest('hex'));
      for (const f of files) {
        const planned = layout.files.find((p) => p.path === f.path);
        if (planned === undefined) throw new Error(`${f.path} not planned`);
        const start = planned.lba * SECTOR_SIZE;
        expect(Buffer.compare(image.subarray(start, start + f.data.length), f.data), f.path).toBe(0);
        const padEnd = start + Math.ceil(f.data.length / SECTOR_SIZE) * SECTOR_SIZE;
        expect(image.subarray(start + f.data.length, padEnd).every((b) => b === 0), `${f.path} padding`).toBe(true);
      }
    } finally {
      remove();
    }
  });
});
