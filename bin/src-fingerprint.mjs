// Which sources a compiled build (dist/) was made from: every file under src/ with its size and
// modification time, hashed. bin/patchdisc.mjs runs dist/ only when this still matches, so an edited,
// added or removed source file sends the CLI back to the TypeScript sources (through tsx) at once.
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** File in dist/ holding the fingerprint of the sources it was compiled from. */
export const FINGERPRINT_FILE = '.src-fingerprint';

/** SHA-256 over the sorted "path size mtime" lines of every file below `srcDir`. */
export function srcFingerprint(srcDir) {
  const lines = [];
  for (const e of readdirSync(srcDir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath ?? e.path, e.name);
    const st = statSync(path);
    lines.push(`${relative(srcDir, path)} ${st.size} ${st.mtimeMs}`);
  }
  return createHash('sha256').update(lines.sort().join('\n')).digest('hex');
}
