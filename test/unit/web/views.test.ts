import { describe, expect, it } from 'vitest';
import { summariseReport, weeklyTotals } from '../../../src/web/build-summary.ts';
import { byteSize, yuan } from '../../../src/web/views/format.ts';
import { html } from '../../../src/web/views/html.ts';
import { barChart } from '../../../src/web/views/svg-chart.ts';

describe('html``', () => {
  it('escapes interpolated strings and keeps nested html``', () => {
    const name = `<b a="1">'&'</b>`;
    expect(html`<p title="${name}">${name}${html`<i>${1}</i>`}${[html`<br>`, 'x<']}${null}${false}</p>`.toString()).toBe(
      '<p title="&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;">&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;<i>1</i><br>x&lt;</p>',
    );
  });
});

describe('yuan() and byteSize()', () => {
  it('writes integer fen as ¥ with two decimals and bytes in binary units', () => {
    expect(yuan(1234)).toBe('¥12.34');
    expect(yuan(5)).toBe('¥0.05');
    expect(yuan(-50)).toBe('-¥0.50');
    expect(byteSize(512)).toBe('512 B');
    expect(byteSize(4_700_000_000)).toBe('4.4 GiB');
  });
});

describe('barChart()', () => {
  it('scales bars to the largest value and escapes labels', () => {
    const svg = barChart({
      title: 'KB <per> week',
      bars: [
        { label: '2025-W01', value: 10, display: '10' },
        { label: '<x>', value: 5, display: '5' },
        { label: '2025-W03', value: 0, display: '0' },
      ],
      width: 300,
      height: 200,
    }).toString();
    const heights = [...svg.matchAll(/<rect [^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(heights).toEqual([128, 64, 0]); // plot height 200 - 28 - 44
    expect(svg).toContain('aria-label="KB &lt;per&gt; week"');
    expect(svg).toContain('>&lt;x&gt;</text>');
    expect(svg).not.toContain('<x>');
    expect(barChart({ title: 'empty', bars: [] }).toString()).not.toContain('<rect');
  });
});

describe('summariseReport() and weeklyTotals()', () => {
  const report = (kbs: string[][], bytes: number[]) =>
    JSON.stringify({ current: [{ kb: '1' }, { kb: '2' }, { revisionId: 3 }], sets: kbs.map((k, i) => ({ kbs: k, bytes: bytes[i] })) });

  it('counts current KBs, distinct shipped KBs and bytes; ignores what is not a report', () => {
    expect(summariseReport(report([['1', '2'], ['2']], [10, 20]))).toEqual({ currentKbs: 2, shippedKbs: ['1', '2'], sets: 2, bytes: 30 });
    expect(summariseReport(null)).toBeUndefined();
    expect(summariseReport('{not json')).toBeUndefined();
    expect(summariseReport('{"sets":"x"}')).toBeUndefined();
  });

  it('sums pipelines of the same week, oldest week first', () => {
    const b = (week: string, json: string | null) => ({ id: 1, pipeline: 'p', week, status: 'done' as const, startedAt: '', finishedAt: null, reportJson: json });
    expect(
      weeklyTotals([b('2025-W03', report([['1']], [5])), b('2025-W02', report([['1', '2']], [7])), b('2025-W03', report([['1', '3']], [6])), b('2025-W04', null)]),
    ).toEqual([
      { week: '2025-W02', kbs: 2, bytes: 7 },
      { week: '2025-W03', kbs: 2, bytes: 11 },
    ]);
  });
});
