/** Plain-text table of benchmark results: one row per case, every reference in its own column group. */
import type { CaseResult, Measurement } from './bench-case.ts';
import { megabytesPerSecond, ratio } from './stats.ts';

/** "1.234 s" or the status when there is no time. */
export function formatTime(m: Measurement): string {
  if (m.status !== 'ok') return m.status;
  if (m.median === undefined) return 'no runs';
  return `${m.median.toFixed(3)} s`;
}

/** "(987 MB/s)" when the measurement has bytes, else ''. */
export function formatRate(m: Measurement): string {
  if (m.status !== 'ok' || m.median === undefined || m.bytes === undefined) return '';
  const rate = megabytesPerSecond(m.bytes, m.median);
  return rate === undefined ? '' : ` (${rate.toFixed(0)} MB/s)`;
}

/** "0.92×" or "—" when either side has no time. */
export function formatRatio(ours: Measurement, ref: Measurement): string {
  const r = ratio(ours.status === 'ok' ? ours.median : undefined, ref.status === 'ok' ? ref.median : undefined);
  return r === undefined ? '—' : `${r.toFixed(2)}×`;
}

function describeOurs(m: Measurement): string {
  const rss = m.peakRssMB === undefined ? '' : `, ${m.peakRssMB.toFixed(0)} MB RSS`;
  return `${formatTime(m)}${formatRate(m)}${rss}`;
}

function describeRef(ours: Measurement, ref: Measurement): string {
  return `${ref.label}: ${formatTime(ref)}${formatRate(ref)} → ${formatRatio(ours, ref)}`;
}

/** Pads `cells` to the column widths; the last column is not padded. */
function line(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
}

/**
 * The table: case | ours | reference: time → ratio ours/ref (one line per reference) | goal | verdict,
 * then notes indented under the case.
 */
export function formatTable(results: readonly CaseResult[]): string {
  const header = ['case', 'ours (median)', 'reference median → ratio ours/ref', 'goal', 'verdict'];
  const rows: string[][] = [];
  const notes = new Map<number, string[]>();
  for (const r of results) {
    const refs = r.refs.length === 0 ? ['—'] : r.refs.map((ref) => describeRef(r.ours, ref));
    refs.forEach((text, i) => {
      rows.push(i === 0 ? [r.name, describeOurs(r.ours), text, r.goal, r.verdict] : ['', '', text, '', '']);
    });
    const extra = [...r.notes];
    if (r.ours.note !== undefined) extra.push(`ours: ${r.ours.note}`);
    for (const ref of r.refs) if (ref.note !== undefined) extra.push(`${ref.label}: ${ref.note}`);
    if (extra.length > 0) notes.set(rows.length - 1, extra);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const out = [line(header, widths), widths.map((w) => '-'.repeat(w)).join('  ')];
  rows.forEach((row, i) => {
    out.push(line(row, widths));
    for (const n of notes.get(i) ?? []) out.push(`    · ${n}`);
  });
  return out.join('\n');
}
