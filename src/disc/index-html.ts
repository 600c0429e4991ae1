import type { ManifestFile, ManifestInput } from './manifest.ts';
import { comparePaths } from './disc-path.ts';

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A relative link to a file on the disc, each segment percent-encoded. */
function fileHref(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The file an installOrder entry names: by path first, then by KB number. */
function resolveOrderEntry(entry: string, files: ManifestFile[]): ManifestFile | undefined {
  return files.find((f) => f.path === entry) ?? files.find((f) => f.kb !== undefined && f.kb.toUpperCase() === entry.toUpperCase());
}

function fileRow(f: ManifestFile): string {
  const cells = [
    f.kb ?? '',
    f.title ?? '',
    f.product ?? '',
    f.classification ?? '',
    f.severity ?? '',
    (f.cves ?? []).join(' '),
    formatSize(f.size),
  ].map((v) => `<td>${escapeHtml(v)}</td>`);
  cells.push(`<td><a href="${escapeHtml(fileHref(f.path))}">${escapeHtml(f.path)}</a></td>`);
  return `<tr>${cells.join('')}</tr>`;
}

/**
 * The disc's index.html: what is on it (KB, title, CVEs, severity, install order) in zh-CN and en.
 * Self-contained (inline style, no scripts, no external resources; a CSP forbids loading any), every
 * value escaped. Informational only: trust comes from the enrollment kit, not from this page.
 */
export function renderDiscIndex(manifest: ManifestInput): string {
  const files = [...manifest.files].sort((a, b) => comparePaths(a.path, b.path));
  const title = `${manifest.vendor} — ${manifest.week} — ${manifest.subscriberId} — ${manifest.disc}/${manifest.discs}`;
  const facts: [string, string][] = [
    ['订户 / Subscriber', manifest.subscriberId],
    ['周 / Week', manifest.week],
    ['序号 / Sequence', String(manifest.sequence)],
    ['光盘 / Disc', `${manifest.disc} / ${manifest.discs}`],
    ['制作时间 / Created', manifest.created],
    ['有效期至 / Expires', manifest.expires],
    ['流水线 / Pipeline', manifest.pipeline],
    ['签名密钥 SHA-256 / Signing key SHA-256', manifest.signingKeySha256],
  ];
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="zh-CN">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:sans-serif;margin:1.5em;line-height:1.4}table{border-collapse:collapse}' +
      'td,th{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}' +
      '.quiet{background:#eef;padding:1em;border:1px solid #99c}.note{color:#555}</style>',
    '</head>',
    '<body>',
    `<h1>${escapeHtml(manifest.vendor)}</h1>`,
    '<table>',
    ...facts.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`),
    '</table>',
  ];
  if (manifest.quietWeek) {
    parts.push(
      '<p class="quiet" id="quiet-week">本周没有新的更新。这张光盘仍然按时寄出，证明没有更新的光盘被扣留。<br>' +
        'Nothing new this week. This disc is still sent on schedule to show that no newer disc is being withheld.</p>',
    );
  }
  if (manifest.installOrder !== undefined && manifest.installOrder.length > 0) {
    parts.push('<h2>安装顺序 / Install order</h2>', '<ol id="install-order">');
    for (const entry of manifest.installOrder) {
      const f = resolveOrderEntry(entry, files);
      const label = f === undefined ? entry : [f.kb, f.title].filter((v) => v !== undefined).join(' — ') || f.path;
      parts.push(`<li>${escapeHtml(label)}</li>`);
    }
    parts.push('</ol>');
  }
  parts.push(`<h2>本光盘上的更新 / Updates on this disc (${files.length})</h2>`);
  if (files.length === 0) {
    parts.push('<p>本光盘没有更新文件。 / This disc holds no update files.</p>');
  } else {
    parts.push(
      '<table id="files">',
      '<tr><th>KB</th><th>标题 / Title</th><th>产品 / Product</th><th>分类 / Classification</th>' +
        '<th>严重性 / Severity</th><th>CVE</th><th>大小 / Size</th><th>文件 / File</th></tr>',
      ...files.map(fileRow),
      '</table>',
    );
  }
  parts.push(
    '<p class="note">本页仅供参考。请用注册套件中的证书验证光盘（见 README.txt）。<br>' +
      'This page is for information only. Verify the disc with the certificate from your enrollment kit (see README.txt).</p>',
    '</body>',
    '</html>',
    '',
  );
  return parts.join('\n');
}
