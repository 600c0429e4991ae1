#!/usr/bin/env node
// Compiles src/ to dist/ (tsc -p tsconfig.build.json) and records which sources it came from, so
// that bin/patchdisc.mjs starts from plain JavaScript instead of transpiling TypeScript on each run.
//   node bin/build-dist.mjs              (npm run build: fails on a compile error)
//   node bin/build-dist.mjs --optional   (npm's prepare hook: on failure the CLI keeps running from src/)
import { spawnSync } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { FINGERPRINT_FILE, srcFingerprint } from './src-fingerprint.mjs';

const root = resolve(import.meta.dirname, '..');
const optional = process.argv.includes('--optional');
const dist = join(root, 'dist');

function giveUp(why) {
  if (optional) {
    process.stderr.write(`patchdisc: no compiled build (${why}); the CLI runs from the TypeScript sources, which starts slower\n`);
    process.exit(0);
  }
  process.stderr.write(`patchdisc: Cannot compile src/ to dist/: ${why}\n`);
  process.exit(1);
}

let tsc;
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  giveUp('typescript is not installed (npm install installs it)');
}
const before = srcFingerprint(join(root, 'src'));
// Compiled beside dist/ and swapped in whole, so a patchdisc command running meanwhile never meets a
// half-written dist/; a clean build, so files of removed sources do not linger.
const next = join(root, `dist.building-${process.pid}`);
const old = join(root, `dist.old-${process.pid}`);
rmSync(next, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', next], { stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(next, { recursive: true, force: true });
  giveUp(`tsc exited with ${r.status ?? r.signal}`);
}
// Sources edited while tsc ran: no fingerprint, so the CLI keeps running from src/.
if (srcFingerprint(join(root, 'src')) !== before) {
  rmSync(next, { recursive: true, force: true });
  giveUp('src/ changed while compiling; run npm run build again');
}
writeFileSync(join(next, FINGERPRINT_FILE), `${before}\n`);
try {
  renameSync(dist, old);
} catch (err) {
  if (err.code !== 'ENOENT') throw err;
}
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
