#!/usr/bin/env node
// Compiles src/ to dist/ (tsc -p tsconfig.build.json) and records which sources it came from, so
// that bin/patchdisc.mjs starts from plain JavaScript instead of transpiling TypeScript on each run.
//   node bin/build-dist.mjs              (npm run build: fails on a compile error)
//   node bin/build-dist.mjs --optional   (npm's prepare hook: on failure the CLI keeps running from src/)
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
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
// A clean build: files of removed sources must not linger.
rmSync(dist, { recursive: true, force: true });
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  rmSync(dist, { recursive: true, force: true });
  giveUp(`tsc exited with ${r.status ?? r.signal}`);
}
// Sources edited while tsc ran: leave no fingerprint, so the CLI keeps running from src/.
if (srcFingerprint(join(root, 'src')) !== before) giveUp('src/ changed while compiling; run npm run build again');
writeFileSync(join(dist, FINGERPRINT_FILE), `${before}\n`);
