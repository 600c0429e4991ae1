/**
 * Printable packing slips for a week's parcels: one A4 page per shipment with the address, the discs
 * in it and the signing-key fingerprint the recipient checks the discs against. Pure: data in, one
 * self-contained HTML document out (no scripts, no external resources).
 */
import { escapeHtml } from '../../disc/index-html.ts';
import { formatFingerprint } from '../../disc/keys.ts';

/** How many hex digits of each ISO's SHA-256 the slip shows: enough to tell discs apart by eye. */
export const ISO_SHA256_PREFIX_CHARS = 16;

export interface PackingSlipDisc {
  pipeline: string;
  sequence: number;
  number: number;
  of: number;
  volumeId: string;
  sha256: string;
}

export interface PackingSlip {
  shipmentId: number;
  reshipOf: number | null;
  code: string;
  name: string;
  organisation: string;
  contact: string;
  phone: string;
  province: string;
  city: string;
  district: string;
  street: string;
  postcode: string;
  medium: string;
  copies: number;
  discs: PackingSlipDisc[];
}

export interface PackingSlipsInput {
  week: string;
  vendor: string;
  /** SHA-256 (hex) of the signing certificate the discs are signed with. */
  keyId: string;
  certificateSubject: string;
  slips: PackingSlip[];
}

const STYLE = `
@page { size: A4; margin: 15mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; font-size: 11pt; color: #000; margin: 0; }
.slip { page-break-after: always; break-after: page; }
.slip:last-child { page-break-after: auto; break-after: auto; }
h1 { font-size: 16pt; margin: 0 0 4mm; }
.label { color: #444; font-size: 9pt; }
.address { border: 1px solid #000; padding: 4mm; margin: 4mm 0; font-size: 13pt; }
.postcode { font-size: 16pt; font-weight: bold; letter-spacing: 0.2em; }
table { border-collapse: collapse; width: 100%; margin: 4mm 0; }
th, td { border: 1px solid #000; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
.mono { font-family: "DejaVu Sans Mono", Consolas, monospace; }
.fingerprint { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 12pt; white-space: pre; border: 1px dashed #000; padding: 3mm; }
`;

const h = escapeHtml;

function discRows(discs: readonly PackingSlipDisc[]): string {
  return discs
    .map(
      (d) => `<tr><td class="mono">${h(d.volumeId)}</td><td>${h(d.pipeline)}</td><td>${d.sequence}</td><td>${d.number} / ${d.of}</td>` +
        `<td class="mono">${h(d.sha256.slice(0, ISO_SHA256_PREFIX_CHARS))}…</td></tr>`,
    )
    .join('\n');
}

function slipHtml(s: PackingSlip, input: PackingSlipsInput, fingerprint: string): string {
  const street = [s.province, s.city, s.district, s.street].filter((p) => p !== '').map(h).join(' ');
  const discCount = s.discs.length;
  const reship = s.reshipOf === null ? '' : `<p><b>补发 / Reshipment</b> of shipment #${s.reshipOf}</p>`;
  return `<section class="slip">
<h1>装箱单 / Packing slip — ${h(input.week)}</h1>
<p><span class="label">发货编号 / Shipment</span> #${s.shipmentId} &nbsp; <span class="label">订户代码 / Subscriber</span> <b class="mono">${h(s.code)}</b></p>
${reship}<div class="address">
<div class="label">收件人 / Recipient</div>
<div>${street}</div>
<div><span class="label">邮编 / Postcode</span> <span class="postcode">${h(s.postcode)}</span></div>
<div>${h(s.organisation)} — ${h(s.name)}</div>
<div>${h(s.contact)} ${h(s.phone)}</div>
</div>
<p><span class="label">介质 / Medium</span> ${h(s.medium)} &nbsp; <span class="label">份数 / Copies</span> ${s.copies} &nbsp; <span class="label">光盘数 / Discs per copy</span> ${discCount}</p>
<table>
<thead><tr><th>卷标 / Volume id</th><th>流水线 / Pipeline</th><th>序号 / Sequence</th><th>第 k 张，共 n 张 / Disc k of n</th><th>ISO SHA-256 (前缀 / prefix)</th></tr></thead>
<tbody>
${discRows(s.discs)}
</tbody>
</table>
<p>请在使用前核对签名证书指纹（SHA-256），应与注册资料中的指纹一致：<br>
Before use, check that the signing certificate fingerprint (SHA-256) matches the one in your enrollment kit:</p>
<div class="fingerprint">${h(fingerprint)}</div>
<p class="label">${h(input.certificateSubject)} — ${h(input.vendor)}</p>
</section>`;
}

/** The week's packing slips as one HTML document, every value escaped. */
export function renderPackingSlips(input: PackingSlipsInput): string {
  const fingerprint = formatFingerprint(input.keyId);
  const body = input.slips.map((s) => slipHtml(s, input, fingerprint)).join('\n');
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>装箱单 / Packing slips — ${h(input.week)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}
