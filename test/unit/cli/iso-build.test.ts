import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/run-cli.ts';
import { makeTempDir } from '../../helpers/tools.ts';
import { bytes, sha256, writeSourceTree } from '../iso/iso-test-tree.ts';

describe('patchdisc iso build', () => {
  it('masters a folder, with or without --no-fsync, into the same checked image whose SHA-256 it reports', async () => {
    const { dir, remove } = makeTempDir();
    try {
      const src = join(dir, 'tree');
      writeSourceTree(src, [
        { path: 'updates/windows11.0-kb5071102-x64_af8306a1f0105e5eca8cb93d6c4b0aac55a9a4d1.msu', data: bytes(1, 2_500_000) },
        { path: '说明/readme.txt', data: bytes(2, 1000) },
      ]);
      const durable = await runCli(['iso', 'build', src, '--out', join(dir, 'a.iso'), '--date', '1717000000', '--json']);
      expect(durable.stderr).toBe('');
      expect(durable.code).toBe(0);
      const fast = await runCli(['iso', 'build', src, '--out', join(dir, 'b.iso'), '--date', '1717000000', '--no-fsync', '--json']);
      expect(fast.code).toBe(0);
      const a = readFileSync(join(dir, 'a.iso'));
      expect(Buffer.compare(a, readFileSync(join(dir, 'b.iso')))).toBe(0);
      const report = JSON.parse(durable.stdout) as { sha256: string; bytes: number; files: number };
      expect(report).toMatchObject({ sha256: sha256(a), bytes: a.length, files: 2 });
      const check = await runCli(['iso', 'check', join(dir, 'b.iso')]);
      expect(check.code).toBe(0);
    } finally {
      remove();
    }
  });

  it('refuses a missing --out with a usage error and no stack trace', async () => {
    const { dir, remove } = makeTempDir();
    try {
      const r = await runCli(['iso', 'build', dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/Cannot build an image: --out FILE\.iso is required/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      remove();
    }
  });
});
