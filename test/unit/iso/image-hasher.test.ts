import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { isPatchdiscError } from '../../../src/errors.ts';
import { ImageHasher } from '../../../src/iso/image-hasher.ts';
import { planIsoLayout, tailReserveFor, tailSectorsUsed, type IsoFileInput, type IsoOptions } from '../../../src/iso/layout.ts';
import { writeIso } from '../../../src/iso/write-iso.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { DATE, bytes, sha256, writeSourceTree } from './iso-test-tree.ts';

/** Set by a test to make the next hash or write worker fail on its first request. */
const crash = vi.hoisted(() => ({ hash: false, write: false }));

vi.mock('node:worker_threads', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:worker_threads')>();
  class CrashableWorker extends actual.Worker {
    constructor(source: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      let program = String(source);
      if (crash.hash && program.includes('createHash')) program = program.replace('parentPort.postMessage(null);', "throw new Error('hash worker crashed');");
      if (crash.write && program.includes('writeSync')) program = program.replace('parentPort.postMessage(null);', "throw new Error('write worker crashed');");
      super(program, options);
    }
  }
  return { ...actual, Worker: CrashableWorker };
});

const ROOT = resolve(import.meta.dirname, '../../..');
const OPTIONS: IsoOptions = { volumeId: 'HASHER', date: DATE };

/** Shared update files and per-subscriber tail files, planned with a reserved tail. */
function tailLayoutInputs(dir: string): { inputs: IsoFileInput[]; options: IsoOptions } {
  const updates = writeSourceTree(dir, [
    { path: 'updates/a.msu', data: bytes(1, 5 * 1024 * 1024 + 7) },
    { path: 'updates/b.cab', data: bytes(2, 3000) },
  ]);
  const meta = bytes(3, 5000);
  const inputs: IsoFileInput[] = [{ path: 'MANIFEST.json', size: meta.length, source: { kind: 'buffer', data: meta }, tail: true }, ...updates];
  return { inputs, options: { ...OPTIONS, tailSectors: tailReserveFor(tailSectorsUsed(inputs, OPTIONS)) } };
}

describe('ImageHasher', () => {
  it('hashes shared buffers in the order given, and its checkpoint finishes any number of digests', async () => {
    const buffers = [new SharedArrayBuffer(1000), new SharedArrayBuffer(1000)];
    const data = bytes(9, 2500);
    const hasher = new ImageHasher(buffers);
    const slot = (i: number): Uint8Array => new Uint8Array(buffers[i % 2] as SharedArrayBuffer);
    slot(0).set(data.subarray(0, 1000));
    const first = hasher.update(0, 1000);
    slot(1).set(data.subarray(1000, 2000));
    await hasher.update(1, 1000, { cut: 300, offset: 1300 });
    await first;
    slot(0).set(data.subarray(2000));
    await hasher.update(0, 500);
    expect(await hasher.digest()).toBe(sha256(data));
    const checkpoint = hasher.checkpoint();
    expect(checkpoint?.offset).toBe(1300);
    expect(await checkpoint?.digestWith([])).toBe(sha256(data.subarray(0, 1300)));
    expect(await checkpoint?.digestWith([data.subarray(1300, 2000), data.subarray(2000)])).toBe(sha256(data));
    expect(await checkpoint?.digestWith([new Uint8Array([1, 2, 3])])).toBe(createHash('sha256').update(data.subarray(0, 1300)).update(new Uint8Array([1, 2, 3])).digest('hex'));
    // Patches over a base sent once, two bases, concurrent requests: each as the bytes in full.
    const baseA = data.subarray(1300).slice();
    const baseB = new Uint8Array(5000).fill(9);
    const patched = (base: Uint8Array, at: number, zeros: number): string => {
      const bytes = base.slice();
      bytes.set([7, 7, 7], at);
      return createHash('sha256').update(data.subarray(0, 1300)).update(bytes).update(new Uint8Array(zeros)).digest('hex');
    };
    const got = await Promise.all([
      checkpoint?.digestPatched(baseA, [{ at: 10, data: new Uint8Array([7, 7, 7]) }], 0),
      checkpoint?.digestPatched(baseB, [{ at: 0, data: new Uint8Array([7, 7, 7]) }], 70_000),
      checkpoint?.digestPatched(baseA, [{ at: baseA.length - 3, data: new Uint8Array([7, 7, 7]) }], 5),
    ]);
    expect(got).toEqual([patched(baseA, 10, 0), patched(baseB, 0, 70_000), patched(baseA, baseA.length - 3, 5)]);
    await hasher.terminate();
  });
});

describe('writeIso() hashing on worker threads', () => {
  it("returns the file's SHA-256 and a checkpoint at the tail whose digestWith(tail) is that SHA-256", async () => {
    const { dir, remove } = makeTempDir();
    try {
      const { inputs, options } = tailLayoutInputs(dir);
      const result = await writeIso(planIsoLayout(inputs, options), join(dir, 'tail.iso'));
      const image = readFileSync(result.path);
      expect(result.sha256).toBe(sha256(image));
      const checkpoint = result.checkpoint;
      if (checkpoint === undefined) throw new Error('expected a checkpoint');
      expect(await checkpoint.digestWith([])).toBe(sha256(image.subarray(0, checkpoint.offset)));
      expect(await checkpoint.digestWith([image.subarray(checkpoint.offset)])).toBe(result.sha256);
    } finally {
      remove();
    }
  });

  for (const which of ['hash', 'write'] as const) {
    it(`fails with INTERNAL when the ${which} worker dies, leaving neither the image nor its .partial`, async () => {
      const { dir, remove } = makeTempDir();
      crash[which] = true;
      try {
        const layout = planIsoLayout(writeSourceTree(dir, [{ path: 'big.bin', data: bytes(4, 9 * 1024 * 1024) }]), OPTIONS);
        const err = await writeIso(layout, join(dir, 'dead.iso')).catch((e: unknown) => e);
        expect(isPatchdiscError(err, 'INTERNAL')).toBe(true);
        expect((err as Error).message).toContain(`${which} worker crashed`);
        expect(readdirSync(dir).filter((n) => n.startsWith('dead'))).toEqual([]);
      } finally {
        crash[which] = false;
        remove();
      }
    });
  }

  it('lets the process exit once idle, even while a checkpoint (and its worker) is kept, and stays alive for a pending digestWith', () => {
    const { dir, remove } = makeTempDir();
    try {
      const script = join(dir, 'idle.mts');
      writeFileSync(
        script,
        `
import { planIsoLayout } from ${JSON.stringify(join(ROOT, 'src/iso/layout.ts'))};
import { writeIso } from ${JSON.stringify(join(ROOT, 'src/iso/write-iso.ts'))};
const data = new Uint8Array(3 * 1024 * 1024).fill(7);
const meta = new Uint8Array(100).fill(1);
const inputs = [
  { path: 'MANIFEST.json', size: meta.length, source: { kind: 'buffer', data: meta }, tail: true },
  { path: 'a.bin', size: data.length, source: { kind: 'buffer', data } },
];
const result = await writeIso(planIsoLayout(inputs, { volumeId: 'IDLE', date: ${DATE}, tailSectors: 1024 }), ${JSON.stringify(join(dir, 'idle.iso'))});
(globalThis as Record<string, unknown>).kept = result.checkpoint;
// Not awaited: only the worker's pending reply keeps the process alive until it prints.
void result.checkpoint?.digestWith([]).then((hex) => console.log('checkpoint', hex));
console.log('image', result.sha256);
`,
      );
      const out = execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
      const image = readFileSync(join(dir, 'idle.iso'));
      expect(out).toContain(`image ${sha256(image)}`);
      expect(out).toMatch(/checkpoint [0-9a-f]{64}/);
    } finally {
      remove();
    }
  });
});
