/**
 * Rules for a path recorded in MANIFEST.json / SHA256SUMS: relative, `/`-separated, no `.`/`..` or
 * empty segments, and no character that `sha256sum` would escape (backslash, control characters) or
 * that Windows cannot store on a Joliet disc.
 */
const RESERVED_CHARS = /[\\:*?"<>|]/;
/** C0 controls and DEL, tested by code point (a regex range over them trips the linter's control-char rule). */
function hasControlChar(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
/** Upper bound on a recorded path; the ISO layer still enforces the medium's own name limits. */
export const DISC_PATH_MAX_CHARS = 240;

/** Why `path` is not a valid disc path, or null when it is. */
export function discPathProblem(path: string): string | null {
  if (path === '') return 'empty path';
  if (path.length > DISC_PATH_MAX_CHARS) return `longer than ${DISC_PATH_MAX_CHARS} characters`;
  if (path.startsWith('/')) return 'absolute path';
  if (RESERVED_CHARS.test(path) || hasControlChar(path)) return 'contains a backslash, control or reserved character';
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return `bad segment "${segment}"`;
    if (segment.endsWith(' ') || segment.endsWith('.')) return `segment "${segment}" ends with a space or dot`;
  }
  return null;
}

/** Orders paths by their UTF-8 bytes, as `LC_ALL=C sort` does (never locale-dependent). */
export function comparePaths(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
