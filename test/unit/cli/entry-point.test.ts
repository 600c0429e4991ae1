import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the entry point, without type declarations
import { FINGERPRINT_FILE, srcFingerprint } from '../../../bin/src-fingerprint.mjs';
import { makeTempDir } from '../../helpers/tools.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const fingerprint = srcFingerprint as (dir: string) => string;

/** A miniature checkout: the real bin/ scripts, a src/ and a dist/ whose main modules say which ran. */
function miniCheckout(dir: string): { run(env?: NodeJS.ProcessEnv): string; src: string } {
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  for (const f of ['patchdisc.mjs', 'src-fingerprint.mjs']) copyFileSync(join(ROOT, 'bin', f), join(dir, 'bin', f));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const src = join(dir, 'src');
  mkdirSync(join(src, 'cli'), { recursive: true });
  writeFileSync(join(src, 'cli', 'main.ts'), "const from: string = 'src';\nconsole.log(from);\n");
  mkdirSync(join(dir, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'cli', 'main.js'), "console.log('dist');\n");
  writeFileSync(join(dir, 'dist', FINGERPRINT_FILE as string), `${fingerprint(src)}\n`);
  return {
    src,
    run: (env = {}) => {
      const r = spawnSync(process.execPath, [join(dir, 'bin', 'patchdisc.mjs')], { encoding: 'utf8', env: { ...process.env, PATCHDISC_FROM_SOURCE: '', ...env } });
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    },
  };
}

describe('bin/patchdisc.mjs', () => {
  it('runs the compiled build only while it matches the sources, else the TypeScript sources', () => {
    const tmp = makeTempDir();
    try {
      const c = miniCheckout(tmp.dir);
      expect(c.run()).toBe('dist');
      expect(c.run({ PATCHDISC_FROM_SOURCE: '1' })).toBe('src');
      // An edited source (same size, newer time) sends the CLI back to src/ at once.
      utimesSync(join(c.src, 'cli', 'main.ts'), new Date(), new Date(Date.now() + 5000));
      expect(c.run()).toBe('src');
      writeFileSync(join(tmp.dir, 'dist', FINGERPRINT_FILE as string), `${fingerprint(c.src)}\n`);
      expect(c.run()).toBe('dist');
      rmSync(join(tmp.dir, 'dist', FINGERPRINT_FILE as string));
      expect(c.run()).toBe('src');
    } finally {
      tmp.remove();
    }
  });
});

describe('srcFingerprint()', () => {
  it('changes when a source is edited, added or removed, and not otherwise', () => {
    const tmp = makeTempDir();
    try {
      mkdirSync(join(tmp.dir, 'a'));
      writeFileSync(join(tmp.dir, 'a', 'x.ts'), 'export const x = 1;\n');
      const first = fingerprint(tmp.dir);
      expect(fingerprint(tmp.dir)).toBe(first);
      writeFileSync(join(tmp.dir, 'a', 'x.ts'), 'export const x = 22;\n');
      const edited = fingerprint(tmp.dir);
      expect(edited).not.toBe(first);
      writeFileSync(join(tmp.dir, 'y.ts'), '');
      const added = fingerprint(tmp.dir);
      expect(added).not.toBe(edited);
      rmSync(join(tmp.dir, 'y.ts'));
      expect(fingerprint(tmp.dir)).toBe(edited);
    } finally {
      tmp.remove();
    }
  });
});
