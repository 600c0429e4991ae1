/**
 * Weekly builds: KBs and data size per week as inline SVG charts, and every build with its report
 * summary.
 */
import type { ReportSummary, WeekTotal } from '../build-summary.ts';
import type { Messages } from '../i18n.ts';
import type { BuildWithReport } from '../queries.ts';
import { byteSize, dateTime } from './format.ts';
import { html, type SafeHtml } from './html.ts';
import { barChart } from './svg-chart.ts';

export interface BuildLine {
  build: BuildWithReport;
  summary: ReportSummary | undefined;
}

/** The page body. */
export function buildsView(p: { t: Messages; timeZone: string; weeks: readonly WeekTotal[]; builds: readonly BuildLine[] }): SafeHtml {
  const { t } = p;
  const kbChart = barChart({ title: t.chartKbs, bars: p.weeks.map((w) => ({ label: w.week, value: w.kbs, display: String(w.kbs) })) });
  const sizeChart = barChart({
    title: t.chartSize,
    bars: p.weeks.map((w) => ({ label: w.week, value: w.bytes, display: byteSize(w.bytes) })),
    color: '#3f8f5a',
  });
  return html`<div class="charts">${kbChart}
${sizeChart}</div>
<table id="builds"><thead><tr><th>${t.week}</th><th>${t.pipeline}</th><th>${t.status}</th><th>${t.started}</th><th>${t.finished}</th><th class="num">${t.currentKbs}</th><th class="num">${t.kbCount}</th><th class="num">${t.sets}</th><th class="num">${t.size}</th></tr></thead><tbody>
${p.builds.map(({ build: b, summary: s }) => {
  const cells =
    s === undefined
      ? html`<td colspan="4">${t.noReport}</td>`
      : html`<td class="num">${s.currentKbs}</td><td class="num">${s.shippedKbs.length}</td><td class="num">${s.sets}</td><td class="num">${byteSize(s.bytes)}</td>`;
  return html`<tr><td>${b.week}</td><td>${b.pipeline}</td><td>${b.status}</td><td>${dateTime(b.startedAt, p.timeZone)}</td><td>${dateTime(b.finishedAt, p.timeZone)}</td>${cells}</tr>`;
})}
</tbody></table>`;
}
