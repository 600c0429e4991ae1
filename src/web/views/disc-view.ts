/**
 * One disc: what the ledger recorded, and the content list from its manifest when the ISO is still
 * there.
 */
import type { DiscManifestResult } from '../disc-manifest.ts';
import type { Messages } from '../i18n.ts';
import type { DiscRecord } from '../queries.ts';
import { byteSize, dateTime } from './format.ts';
import { html, type SafeHtml } from './html.ts';

function manifestSection(t: Messages, r: DiscManifestResult, timeZone: string): SafeHtml {
  if (r.state === 'missing') return html`<p class="notice" id="manifest-missing">${t.manifestMissing}</p>`;
  if (r.state === 'unreadable') return html`<p class="error" id="manifest-unreadable">${t.manifestUnreadable}: ${r.message}</p>`;
  const m = r.manifest;
  return html`<dl class="fields">
<dt>${t.subscriber}</dt><dd>${m.subscriberId}</dd>
<dt>${t.pipeline}</dt><dd>${m.pipeline} ${m.week}</dd>
<dt>${t.sequence}</dt><dd>${m.sequence}</dd>
<dt>${t.discNumber}</dt><dd>${m.disc}/${m.discs}</dd>
<dt>${t.created}</dt><dd>${dateTime(m.created, timeZone)}</dd>
<dt>${t.expires}</dt><dd>${dateTime(m.expires, timeZone)}</dd>
<dt>${t.quietWeek}</dt><dd>${m.quietWeek ? t.yes : t.no}</dd>
</dl>
<table id="manifest-files"><thead><tr><th>${t.kb}</th><th>${t.title}</th><th>${t.classification}</th><th>${t.severity}</th><th>${t.cves}</th><th>${t.path}</th><th class="num">${t.bytes}</th></tr></thead><tbody>
${m.files.map((f) => html`<tr><td>${f.kb ?? ''}</td><td>${f.title ?? ''}</td><td>${f.classification ?? ''}</td><td>${f.severity ?? ''}</td><td>${(f.cves ?? []).join(', ')}</td><td><code>${f.path}</code></td><td class="num">${byteSize(f.size)}</td></tr>`)}
</tbody></table>`;
}

/** The page body. */
export function discView(p: { t: Messages; timeZone: string; disc: DiscRecord; manifest: DiscManifestResult }): SafeHtml {
  const { t, disc: d } = p;
  return html`<h2>${t.discRecorded}</h2>
<dl class="fields" id="disc-record">
<dt>${t.subscriber}</dt><dd><a href="/subscribers/${encodeURIComponent(d.subscriber)}">${d.subscriber}</a></dd>
<dt>${t.pipeline}</dt><dd>${d.pipeline} ${d.week}</dd>
<dt>${t.sequence}</dt><dd>${d.sequence}</dd>
<dt>${t.discNumber}</dt><dd>${d.number}/${d.of}</dd>
<dt>${t.volumeId}</dt><dd>${d.volumeId}</dd>
<dt>${t.bytes}</dt><dd>${byteSize(d.bytes)}</dd>
<dt>SHA-256</dt><dd><code>${d.sha256}</code></dd>
<dt>MANIFEST SHA-256</dt><dd><code>${d.manifestSha256}</code></dd>
<dt>${t.quietWeek}</dt><dd>${d.quiet ? t.yes : t.no}</dd>
<dt>${t.isoPath}</dt><dd><code>${d.isoPath}</code></dd>
</dl>
<h2>${t.manifest}</h2>
${manifestSection(t, p.manifest, p.timeZone)}`;
}
