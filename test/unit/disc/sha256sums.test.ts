import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSha256Sums, parseSha256Sums } from '../../../src/disc/sha256sums.ts';
import { makeTempDir, requireTools } from '../../helpers/tools.ts';
import { sha256Hex } from './disc-fixture.ts';

const hasSha256sum = requireTools('sha256sum');
const header = { subscriberId: 'ACME-01', sequence: 7, expires: '2026-11-16T08:00:00Z', disc: '1/2', week: '2026-W42' };

describe('buildSha256Sums()', () => {
  it('writes "# key: value" header lines then "<sha256>  <path>" lines sorted by UTF-8 bytes, LF only', () => {
    const text = buildSha256Sums(header, [
      { path: 'updates/b.msu', sha256: 'b'.repeat(64) },
      { path: 'MANIFEST.json', sha256: 'a'.repeat(64) },
      { path: 'updates/a.msu', sha256: 'c'.repeat(64) },
    ]).toString('utf8');
    expect(text).toBe(
      [
        '# subscriberId: ACME-01',
        '# sequence: 7',
        '# expires: 2026-11-16T08:00:00Z',
        '# disc: 1/2',
        '# week: 2026-W42',
        `${'a'.repeat(64)}  MANIFEST.json`,
        `${'c'.repeat(64)}  updates/a.msu`,
        `${'b'.repeat(64)}  updates/b.msu`,
        '',
      ].join('\n'),
    );
  });

  it('refuses duplicate paths, bad hashes, unsafe paths and multi-line header values', () => {
    const h = 'a'.repeat(64);
    expect(() => buildSha256Sums(header, [{ path: 'x', sha256: h }, { path: 'x', sha256: h }])).toThrow(/listed twice/);
    expect(() => buildSha256Sums(header, [{ path: 'x', sha256: 'A'.repeat(64) }])).toThrow(/not a lowercase hex/);
    expect(() => buildSha256Sums(header, [{ path: 'a\\b', sha256: h }])).toThrow(/backslash/);
    expect(() => buildSha256Sums({ ...header, week: '2026\n-W42' }, [])).toThrow(/spans lines/);
  });

  it.skipIf(!hasSha256sum)('is accepted by sha256sum --check --strict, which skips the header', () => {
    const tmp = makeTempDir();
    try {
      const files: [string, string][] = [['updates/kb/a file.msu', 'alpha'], ['README.txt', '说明'], ['empty', '']];
      for (const [path, content] of files) {
        mkdirSync(join(tmp.dir, path, '..'), { recursive: true });
        writeFileSync(join(tmp.dir, path), content);
      }
      writeFileSync(join(tmp.dir, 'SHA256SUMS'), buildSha256Sums(header, files.map(([path, c]) => ({ path, sha256: sha256Hex(c) }))));
      const out = execFileSync('sha256sum', ['--check', '--strict', 'SHA256SUMS'], { cwd: tmp.dir, encoding: 'utf8' });
      expect(out.split('\n').filter((l) => l.endsWith(': OK'))).toHaveLength(3);
      writeFileSync(join(tmp.dir, 'empty'), 'x');
      expect(() => execFileSync('sha256sum', ['--check', '--strict', 'SHA256SUMS'], { cwd: tmp.dir, stdio: 'ignore' })).toThrow();
    } finally {
      tmp.remove();
    }
  });
});

describe('parseSha256Sums()', () => {
  const good = buildSha256Sums(header, [
    { path: 'a', sha256: '1'.repeat(64) },
    { path: 'b/c', sha256: '2'.repeat(64) },
  ]);

  it('round-trips header and entries', () => {
    const parsed = parseSha256Sums(good);
    expect(parsed.header).toEqual({ subscriberId: 'ACME-01', sequence: '7', expires: '2026-11-16T08:00:00Z', disc: '1/2', week: '2026-W42' });
    expect(parsed.entries).toEqual([
      { path: 'a', sha256: '1'.repeat(64) },
      { path: 'b/c', sha256: '2'.repeat(64) },
    ]);
  });

  it.each([
    ['no final line feed', good.toString().slice(0, -1)],
    ['CRLF line ends', good.toString().replace(/\n/g, '\r\n')],
    ['a blank line', `${good.toString()}\n`],
    ['a binary-mode marker', good.toString().replace(`${'1'.repeat(64)}  a`, `${'1'.repeat(64)} *a`)],
    ['upper-case hex', good.toString().replace('1'.repeat(64), 'F'.repeat(64))],
    ['a duplicate path', `${good.toString()}${'3'.repeat(64)}  a\n`],
    ['a header after entries', `${good.toString()}# extra: 1\n`],
    ['a repeated header', `# week: 1\n${good.toString()}`],
    ['a parent path', `${good.toString()}${'3'.repeat(64)}  ../x\n`],
    ['an escaped (backslash) line', `${good.toString()}\\${'3'.repeat(64)}  a\\\\b\n`],
  ])('rejects %s with VERIFY_FAILED', (_name, text) => {
    expect(() => parseSha256Sums(Buffer.from(text))).toThrow(expect.objectContaining({ code: 'VERIFY_FAILED' }));
  });
});
