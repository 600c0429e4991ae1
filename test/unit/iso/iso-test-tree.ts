/** Helpers for the ISO tests: build a source tree on disk, plan it, hash extracted trees. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { IsoFileInput } from '../../../src/iso/layout.ts';

export const DATE = 1_717_000_000; // 2024-05-29T16:26:40Z

export interface TreeFile {
  path: string;
  data: Uint8Array;
}

/** Deterministic pseudo-random bytes (xorshift), so tests need no fixtures. */
export function bytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Writes `files` under `dir/src` and returns inputs that read them from disk. */
export function writeSourceTree(dir: string, files: readonly TreeFile[]): IsoFileInput[] {
  return files.map((f) => {
    const p = join(dir, 'src', f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.data);
    return { path: f.path, size: f.data.length, source: { kind: 'file', path: p } };
  });
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** path → sha256 of every regular file under `root`. */
export function hashTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(root, p).split('\\').join('/'), sha256(readFileSync(p)));
    }
  };
  walk(root);
  return out;
}

export function expectedHashes(files: readonly TreeFile[]): Map<string, string> {
  return new Map(files.map((f) => [f.path, sha256(f.data)]));
}

/** Runs a command, returning stdout; throws with stderr on a non-zero exit. */
export function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Sorted map entries, for readable equality failures. */
export function sorted(m: Map<string, string>): [string, string][] {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Runs a command and returns its raw stdout bytes (binary-safe). */
export function runBytes(cmd: string, args: string[]): Buffer {
  return execFileSync(cmd, args, { maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}
