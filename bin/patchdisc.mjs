#!/usr/bin/env node
// Entry point. Runs the compiled build in dist/ when it was made from exactly the sources in src/
// (bin/build-dist.mjs, run by npm install), else the TypeScript sources through tsx, so a clone
// works without a build step and an edited source takes effect at once.
// PATCHDISC_FROM_SOURCE=1 always runs the sources.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FINGERPRINT_FILE, srcFingerprint } from './src-fingerprint.mjs';

const root = resolve(import.meta.dirname, '..');

function compiledIsCurrent() {
  if (process.env.PATCHDISC_FROM_SOURCE === '1') return false;
  try {
    return readFileSync(join(root, 'dist', FINGERPRINT_FILE), 'utf8').trim() === srcFingerprint(join(root, 'src'));
  } catch {
    return false;
  }
}

if (compiledIsCurrent()) {
  await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
