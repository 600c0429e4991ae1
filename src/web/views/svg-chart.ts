/**
 * A bar chart as inline SVG markup (no script, no external resource). Pure: same input, same bytes.
 */
import { html, type SafeHtml } from './html.ts';

export interface Bar {
  /** Axis label under the bar (e.g. `2025-W03`). */
  label: string;
  value: number;
  /** The value as shown in the tooltip and above the bar. */
  display: string;
}

export interface BarChartOptions {
  title: string;
  bars: readonly Bar[];
  width?: number;
  height?: number;
  color?: string;
}

const MARGIN = { top: 28, right: 12, bottom: 44, left: 12 } as const;
const MAX_BAR_WIDTH = 48;
/** At most this many axis labels and value labels; more would overlap (tooltips keep every value). */
const MAX_LABELS = 12;
const MAX_VALUE_LABELS = 24;

/** Rounds to 0.1 so the markup stays short and stable. */
function r(n: number): number {
  return Math.round(n * 10) / 10;
}

/** The chart as an `<svg>` element; an empty chart when there are no bars. */
export function barChart(o: BarChartOptions): SafeHtml {
  const width = o.width ?? 720;
  const height = o.height ?? 220;
  const color = /^#[0-9a-f]{3,6}$/i.test(o.color ?? '') ? (o.color as string) : '#2f6ea5';
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const max = Math.max(0, ...o.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)));
  const slot = o.bars.length > 0 ? plotW / o.bars.length : plotW;
  const barW = Math.min(MAX_BAR_WIDTH, slot * 0.7);
  const baseY = MARGIN.top + plotH;
  const labelEvery = Math.max(1, Math.ceil(o.bars.length / MAX_LABELS));
  const showValues = o.bars.length <= MAX_VALUE_LABELS;
  const bars = o.bars.map((b, i) => {
    const value = Number.isFinite(b.value) && b.value > 0 ? b.value : 0;
    const h = max > 0 ? (value / max) * plotH : 0;
    const x = MARGIN.left + i * slot + (slot - barW) / 2;
    const cx = r(x + barW / 2);
    return html`<g><title>${b.label}: ${b.display}</title><rect x="${r(x)}" y="${r(baseY - h)}" width="${r(barW)}" height="${r(h)}" fill="${color}"></rect>${showValues ? html`<text x="${cx}" y="${r(baseY - h - 4)}" text-anchor="middle" font-size="10">${b.display}</text>` : null}${i % labelEvery === 0 ? html`<text x="${cx}" y="${baseY + 14}" text-anchor="middle" font-size="10">${b.label}</text>` : null}</g>`;
  });
  return html`<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-label="${o.title}"><title>${o.title}</title><text x="${MARGIN.left}" y="16" font-size="13" font-weight="600">${o.title}</text><line x1="${MARGIN.left}" y1="${baseY}" x2="${width - MARGIN.right}" y2="${baseY}" stroke="#8a96a3"></line>${bars}</svg>`;
}
