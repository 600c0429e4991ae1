/** Which external reference tools are installed (checked once per run). */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REFERENCE_TOOLS = ['genisoimage', 'xorriso', '7z', 'bsdtar', 'cabextract', 'openssl', 'sha256sum', 'curl', 'xsltproc', 'xargs'] as const;

/** Absolute path of GNU time, which reports peak RSS of a child (`-f %M`, KiB). */
export const GNU_TIME = '/usr/bin/time';

const found = new Map<string, boolean>();

/** True when `name` is a command on PATH. */
export function hasTool(name: string): boolean {
  let ok = found.get(name);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' }).status === 0;
    found.set(name, ok);
  }
  return ok;
}

/** True when GNU time is there and understands `-f %M` (busybox time does not). */
export function hasGnuTime(): boolean {
  let ok = found.get(GNU_TIME);
  if (ok === undefined) {
    const r = spawnSync(GNU_TIME, ['-f', '%M', 'true'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    ok = r.status === 0 && /^\d+$/.test((r.stderr ?? '').trim());
    found.set(GNU_TIME, ok);
  }
  return ok;
}

/** 'ok' when every `src/` module a case calls exists yet (helpers may still be writing them). */
export function srcAvailability(...modules: string[]): 'ok' | 'not available' {
  const root = resolve(import.meta.dirname, '../../src');
  return modules.every((m) => existsSync(join(root, m))) ? 'ok' : 'not available';
}

/** 'ok' or 'tool missing' for a reference that needs `tools`. */
export function toolAvailability(...tools: string[]): 'ok' | 'tool missing' {
  return tools.every(hasTool) ? 'ok' : 'tool missing';
}
