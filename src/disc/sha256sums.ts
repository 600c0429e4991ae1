import { PatchdiscError } from '../errors.ts';
import { SHA256SUMS_NAME } from './disc-names.ts';
import { comparePaths, discPathProblem } from './disc-path.ts';


export interface Sha256SumsHeader {
  subscriberId: string;
  sequence: number;
  expires: string;
  /** "k/n" */
  disc: string;
  week: string;
}

export interface Sha256SumsEntry {
  path: string;
  sha256: string;
}

/** Header keys in the order they are written. */
const HEADER_KEYS = ['subscriberId', 'sequence', 'expires', 'disc', 'week'] as const;
const HEADER_LINE = /^# ([A-Za-z][A-Za-z0-9]*): (.*)$/;
/** GNU coreutils text-mode line: 64 hex digits, two spaces, the path (no escaping: paths never need it). */
const ENTRY_LINE = /^([0-9a-f]{64}) {2}(.+)$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function invalid(message: string): PatchdiscError {
  return new PatchdiscError('VALIDATION', `Cannot build ${SHA256SUMS_NAME}: ${message}`);
}

/**
 * Writes SHA256SUMS: `# key: value` header lines (skipped by `sha256sum -c`), then
 * `<sha256>  <path>` lines sorted by path, LF line ends.
 */
export function buildSha256Sums(header: Sha256SumsHeader, entries: Sha256SumsEntry[]): Buffer {
  const lines: string[] = [];
  for (const key of HEADER_KEYS) {
    const value = String(header[key]);
    if (value === '' || /[\r\n]/.test(value)) throw invalid(`header ${key} is empty or spans lines`);
    lines.push(`# ${key}: ${value}`);
  }
  const seen = new Set<string>();
  for (const e of [...entries].sort((a, b) => comparePaths(a.path, b.path))) {
    const problem = discPathProblem(e.path);
    if (problem !== null) throw invalid(`path "${e.path}": ${problem}`);
    if (!SHA256_HEX.test(e.sha256)) throw invalid(`path "${e.path}": "${e.sha256}" is not a lowercase hex SHA-256`);
    if (seen.has(e.path)) throw invalid(`path "${e.path}" is listed twice`);
    seen.add(e.path);
    lines.push(`${e.sha256}  ${e.path}`);
  }
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/**
 * Reads SHA256SUMS strictly: header lines first, then entry lines, LF only, a final LF, no blank
 * lines, no duplicate paths. Anything else is VERIFY_FAILED.
 */
export function parseSha256Sums(bytes: Uint8Array): { header: Record<string, string>; entries: Sha256SumsEntry[] } {
  const fail = (message: string): PatchdiscError =>
    new PatchdiscError('VERIFY_FAILED', `Cannot read ${SHA256SUMS_NAME}: ${message}`);
  let content: string;
  try {
    content = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw new PatchdiscError('VERIFY_FAILED', `Cannot read ${SHA256SUMS_NAME}: not valid UTF-8`, { cause: err });
  }
  if (!content.endsWith('\n')) throw fail('it does not end with a line feed');
  if (content.includes('\r')) throw fail('it contains carriage returns');
  const lines = content.slice(0, -1).split('\n');
  const header: Record<string, string> = {};
  const entries: Sha256SumsEntry[] = [];
  const seen = new Set<string>();
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    const h = HEADER_LINE.exec(line);
    if (h !== null) {
      if (entries.length > 0) throw fail(`line ${lineNo}: header line after the file list`);
      const key = h[1] ?? '';
      if (Object.hasOwn(header, key)) throw fail(`line ${lineNo}: header ${key} repeated`);
      header[key] = h[2] ?? '';
      return;
    }
    const e = ENTRY_LINE.exec(line);
    if (e === null) throw fail(`line ${lineNo} is neither "# key: value" nor "<sha256>  <path>"`);
    const path = e[2] ?? '';
    const problem = discPathProblem(path);
    if (problem !== null) throw fail(`line ${lineNo}: path "${path}": ${problem}`);
    if (seen.has(path)) throw fail(`line ${lineNo}: path "${path}" listed twice`);
    seen.add(path);
    entries.push({ path, sha256: e[1] ?? '' });
  });
  return { header, entries };
}
