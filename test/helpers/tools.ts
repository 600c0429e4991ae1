import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Third-party fixtures live beside the clone, in ../shared/fixtures. */
export const FIXTURES = resolve(import.meta.dirname, '../../../shared/fixtures');

const cache = new Map<string, boolean>();

/** True when an external command is on PATH. */
export function hasTool(name: string): boolean {
  let found = cache.get(name);
  if (found === undefined) {
    try {
      execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
      found = true;
    } catch {
      found = false;
    }
    cache.set(name, found);
  }
  return found;
}

/**
 * Whether a test that needs `tools` may run. Under CI=true a missing tool is a failure (thrown here);
 * elsewhere the test is skipped with a visible notice.
 */
export function requireTools(...tools: string[]): boolean {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length === 0) return true;
  if (process.env['CI'] === 'true') {
    throw new Error(`Cannot run independent checks: missing tools ${missing.join(', ')} (install them; see .ci/run)`);
  }
  process.stderr.write(`NOTICE: skipping checks that need ${missing.join(', ')} (not installed)\n`);
  return false;
}

/** A fresh temp dir and its remover. */
export function makeTempDir(prefix = 'patchdisc-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
