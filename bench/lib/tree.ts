/**
 * A deterministic pseudo-random update tree: a few large files (cumulative updates, feature packs)
 * and many small ones (language packs, .NET, Office patches), with 70–80-character names the way
 * real payloads are named (`<product>-kb<7 digits>-<arch>-<lang>_<40 hex>.<ext>`). The same seed
 * and size always give the same paths, sizes and bytes.
 */
import { createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export interface TreeFile {
  /** '/'-separated, relative to the tree root. */
  path: string;
  size: number;
}

export interface TreeFileDigests extends TreeFile {
  sha1: string;
  sha256: string;
}

export interface Tree {
  root: string;
  files: TreeFileDigests[];
  totalBytes: number;
}

/** xorshift128 PRNG: fast, good enough for payload bytes and choices, fully reproducible. */
export class Xorshift128 {
  private s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0 || 0x9e3779b9;
    for (let i = 0; i < 4; i += 1) {
      // splitmix-style scrambling so close seeds give unrelated streams
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0 || 1;
    }
  }

  nextU32(): number {
    const s = this.s;
    let t = s[3] as number;
    const first = s[0] as number;
    s[3] = s[2] as number;
    s[2] = s[1] as number;
    s[1] = first;
    t ^= t << 11;
    t ^= t >>> 8;
    s[0] = (t ^ first ^ (first >>> 19)) >>> 0;
    return s[0] as number;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Fills `out` with pseudo-random bytes. */
  fill(out: Uint8Array): void {
    const words = Math.floor(out.length / 4);
    const view = new Uint32Array(out.buffer, out.byteOffset, words);
    if (out.byteOffset % 4 !== 0) throw new RangeError('Cannot fill: buffer is not 4-byte aligned');
    for (let i = 0; i < words; i += 1) view[i] = this.nextU32();
    for (let i = words * 4; i < out.length; i += 1) out[i] = this.nextU32() & 0xff;
  }
}

const PRODUCTS = ['windows10.0', 'windows11.0', 'windowsserver2019', 'windowsserver2022', 'ndp48', 'office2016', 'sqlserver2019'];
const ARCHES = ['x64', 'x86', 'arm64'];
const LANGS = ['zh-cn', 'en-us', 'de-de', 'ja-jp', 'fr-fr', 'neutral'];
const EXTS = ['msu', 'cab', 'exe'];
const MIN_NAME = 70;
const MAX_NAME = 80;

function hex(rng: Xorshift128, chars: number): string {
  let s = '';
  while (s.length < chars) s += rng.nextU32().toString(16).padStart(8, '0');
  return s.slice(0, chars);
}

/** A payload-like file name of 70–80 characters. */
export function payloadName(rng: Xorshift128): string {
  const ext = EXTS[rng.int(0, EXTS.length - 1)] as string;
  const base = `${PRODUCTS[rng.int(0, PRODUCTS.length - 1)]}-kb${rng.int(4_000_000, 5_099_999)}-${ARCHES[rng.int(0, ARCHES.length - 1)]}`;
  const tail = `_${hex(rng, 40)}.${ext}`;
  const target = rng.int(MIN_NAME, MAX_NAME);
  let middle = `-${LANGS[rng.int(0, LANGS.length - 1)]}`;
  while (base.length + middle.length + tail.length < target) middle += `-${hex(rng, 4)}`;
  const name = `${base}${middle}`.slice(0, Math.max(base.length, target - tail.length)) + tail;
  return name;
}

/**
 * Plans the files of a tree of `totalBytes`: about 60 % in large files (16–128 MiB, fewer for a
 * small tree), the rest in files of 4 KiB–4 MiB. Paths are `updates/<kb dir>/<name>`.
 */
export function planTree(totalBytes: number, seed = 1): TreeFile[] {
  const rng = new Xorshift128(seed);
  const files: TreeFile[] = [];
  const used = new Set<string>();
  const largeBudget = Math.floor(totalBytes * 0.6);
  const largeMax = Math.max(1 << 20, Math.min(128 << 20, Math.floor(totalBytes / 4)));
  const largeMin = Math.min(16 << 20, largeMax);
  let left = totalBytes;
  let large = 0;
  const add = (size: number): void => {
    let path: string;
    do path = `updates/kb${rng.int(4_000_000, 5_099_999)}/${payloadName(rng)}`;
    while (used.has(path));
    used.add(path);
    files.push({ path, size });
    left -= size;
  };
  while (large < largeBudget && left > 0) {
    const size = Math.min(left, rng.int(largeMin, largeMax));
    large += size;
    add(size);
  }
  while (left > 0) {
    // log-uniform between 4 KiB and 4 MiB: many small files, a few medium
    const size = Math.min(left, Math.round(2 ** (12 + rng.next() * 10)));
    add(size);
  }
  return files;
}

const CHUNK = 1 << 20;

/**
 * Writes the planned tree under `root` (file content seeded by the file's index), hashing each file
 * (SHA-1, SHA-256) while writing so download and verify cases know the digests.
 */
export async function writeTree(root: string, totalBytes: number, seed = 1): Promise<Tree> {
  const plan = planTree(totalBytes, seed);
  const buf = Buffer.alloc(CHUNK);
  const files: TreeFileDigests[] = [];
  for (const [i, f] of plan.entries()) {
    const path = join(root, f.path);
    await mkdir(dirname(path), { recursive: true });
    const rng = new Xorshift128(seed * 1_000_003 + i);
    const sha1 = createHash('sha1');
    const sha256 = createHash('sha256');
    const fh = await open(path, 'w');
    try {
      for (let at = 0; at < f.size; at += CHUNK) {
        const part = buf.subarray(0, Math.min(CHUNK, f.size - at));
        rng.fill(part);
        sha1.update(part);
        sha256.update(part);
        await fh.write(part);
      }
    } finally {
      await fh.close();
    }
    files.push({ ...f, sha1: sha1.digest('hex'), sha256: sha256.digest('hex') });
  }
  return { root, files, totalBytes: plan.reduce((s, f) => s + f.size, 0) };
}
