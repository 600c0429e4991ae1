import { describe, expect, it } from 'vitest';
import { escapeHtml, renderDiscIndex } from '../../../src/disc/index-html.ts';
import { formatFingerprint } from '../../../src/disc/keys.ts';
import type { ManifestInput } from '../../../src/disc/manifest.ts';
import { renderDiscReadme } from '../../../src/disc/readme-txt.ts';

function manifest(overrides: Partial<ManifestInput> = {}): ManifestInput {
  return {
    vendor: 'Example <Patch> & Co',
    subscriberId: 'ACME-01',
    sequence: 7,
    disc: 1,
    discs: 2,
    created: '2026-10-12T08:00:00Z',
    expires: '2026-11-16T08:00:00Z',
    signingKeySha256: 'b'.repeat(64),
    previousManifestSha256: null,
    pipeline: 'demo',
    week: '2026-W42',
    quietWeek: false,
    files: [
      {
        path: 'updates/windows 10/KB5031356/a#b.msu',
        size: 3 * 1024 * 1024,
        sha256: '1'.repeat(64),
        kb: 'KB5031356',
        title: '<script>alert(1)</script> "Cumulative"',
        severity: 'Critical',
        cves: ['CVE-2026-12345', 'CVE-2026-23456'],
        classification: 'Security Updates',
        product: 'Windows 10',
      },
      { path: 'updates/ssu/KB5030000/ssu.msu', size: 10, sha256: '2'.repeat(64), kb: 'KB5030000', title: 'Servicing Stack' },
    ],
    installOrder: ['KB5030000', 'updates/windows 10/KB5031356/a#b.msu'],
    ...overrides,
  };
}

describe('renderDiscIndex()', () => {
  const html = renderDiscIndex(manifest());

  it('escapes every value and loads nothing external', () => {
    expect(html).not.toContain('<script');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#34;Cumulative&#34;');
    expect(html).toContain('Example &#60;Patch&#62; &#38; Co');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    expect(html).toContain(`Content-Security-Policy" content="default-src 'none'`);
  });

  it('lists KB, title, CVEs, severity and a relative link per file', () => {
    expect(html).toContain('<td>KB5031356</td>');
    expect(html).toContain('<td>CVE-2026-12345 CVE-2026-23456</td>');
    expect(html).toContain('<td>Critical</td>');
    expect(html).toContain('<td>3.0 MiB</td>');
    expect(html).toContain('<a href="updates/windows%2010/KB5031356/a%23b.msu">');
  });

  it('shows the install order resolved by KB number or path, in order', () => {
    const order = /<ol id="install-order">\n([\s\S]*?)\n<\/ol>/.exec(html)?.[1];
    expect(order).toBe(
      '<li>KB5030000 — Servicing Stack</li>\n<li>KB5031356 — &#60;script&#62;alert(1)&#60;/script&#62; &#34;Cumulative&#34;</li>',
    );
  });

  it('says "nothing new this week" in both languages for a quiet week, and not otherwise', () => {
    const quiet = renderDiscIndex(manifest({ quietWeek: true, files: [] }));
    expect(quiet).toContain('本周没有新的更新');
    expect(quiet).toContain('Nothing new this week');
    expect(html).not.toContain('Nothing new this week');
  });

  it('escapeHtml() escapes the five special characters', () => {
    expect(escapeHtml(`<a href='x'>"&"</a>`)).toBe('&#60;a href=&#39;x&#39;&#62;&#34;&#38;&#34;&#60;/a&#62;');
  });
});

describe('renderDiscReadme()', () => {
  const fingerprint = formatFingerprint('3f2a9c01'.repeat(8));
  const text = renderDiscReadme(manifest(), fingerprint);

  it('starts with a UTF-8 BOM and uses CRLF line ends only', () => {
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  });

  it('gives the fingerprint and the three ways to verify, in Chinese and English', () => {
    expect(text).toContain('    3F2A 9C01 3F2A 9C01 3F2A 9C01 3F2A 9C01\r\n    3F2A 9C01');
    expect(text).toContain('patchdisc verify <光盘目录或 ISO 文件>');
    expect(text).toContain('patchdisc verify <disc folder or ISO file>');
    expect(text.match(/openssl dgst -sha256 -verify vendor\.pub\.pem -signature SHA256SUMS\.sig SHA256SUMS/g)).toHaveLength(2);
    expect(text.match(/sha256sum --check --strict --quiet SHA256SUMS/g)).toHaveLength(2);
    expect(text).toContain('verify.html');
    expect(text).toContain('序号：7');
    expect(text).toContain('Sequence: 7');
  });
});
