/**
 * package-xml: parse a real-size synthetic package.xml (bench/gen-package-xml.ts, ~105 MB) with our
 * streaming parser, timing it and its peak RSS, against xsltproc running bench/xslt/bundles.xsl (the
 * bundle / supersedence / payload / location joins a WSUS Offline style script does).
 */
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BenchCase, CaseResult } from '../lib/bench-case.ts';
import { childSample, measureSideBySide, timeCommand, type Subject } from '../lib/measure.ts';
import { combineVerdicts, verdictAtMost } from '../lib/stats.ts';
import { srcAvailability, toolAvailability } from '../lib/tools.ts';
import { generatePackageXml } from '../gen-package-xml.ts';

const GOAL_SECONDS = 3;
const GOAL_RSS_MB = 300;
/** Bytes per read of the package.xml file. */
const READ_BYTES = 1 << 20;
const XSLT = resolve(import.meta.dirname, '../xslt/bundles.xsl');

/** Module loading before the timer (see bench/child.ts). */
export const childWarmups = {
  async parse(): Promise<void> {
    await import('../../src/catalog/parse-package-xml.ts');
  },
};

export const childTasks = {
  /** Parses the file; returns the counts so a parser that skipped everything would show. */
  async parse(args: { xml: string }): Promise<{ updates: number; locations: number; rejected: number }> {
    const { parsePackageXml } = await import('../../src/catalog/parse-package-xml.ts');
    // 1 MiB reads, as the content store reads files: with the stream's default 64 KiB the parser
    // waits on some 1,600 sequential reads (about 0.5 s here). xsltproc buffers its own reads too.
    const pkg = await parsePackageXml(createReadStream(args.xml, { highWaterMark: READ_BYTES }), { label: 'bench package.xml' });
    return { updates: pkg.updates.size, locations: pkg.locations.size, rejected: pkg.rejectedLocations.size };
  },
};

export const benchCase: BenchCase = {
  name: 'package-xml',
  goal: `≤ ${GOAL_SECONDS} s and ≤ ${GOAL_RSS_MB} MB peak RSS`,
  async run(ctx): Promise<CaseResult[]> {
    const xml = join(ctx.tmp, 'package.xml');
    const start = process.hrtime.bigint();
    const stats = await generatePackageXml(xml);
    ctx.log(`  generated ${(stats.bytes / 1e6).toFixed(1)} MB: ${stats.updates} updates (${stats.bundles} bundles), ${stats.fileLocations} file locations in ${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(1)} s`);
    const rssFile = join(ctx.tmp, 'package-xml.rss');
    const out = join(ctx.tmp, 'package-xml.csv');
    const subjects: Subject[] = [
      {
        label: 'ours',
        availability: srcAvailability('catalog/parse-package-xml.ts'),
        bytes: stats.bytes,
        run: childSample('cases/package-xml.ts', 'parse', { xml }),
      },
      {
        label: 'xsltproc',
        availability: toolAvailability('xsltproc'),
        bytes: stats.bytes,
        run: () => timeCommand('xsltproc', ['-o', out, XSLT, xml], { rssFile }),
      },
    ];
    const [ours, ...refs] = await measureSideBySide(subjects, ctx.runs, ctx.log);
    await rm(xml, { force: true });
    await rm(out, { force: true });
    const verdict = ours?.status === 'ok' ? combineVerdicts([verdictAtMost(ours.median, GOAL_SECONDS), verdictAtMost(ours.peakRssMB, GOAL_RSS_MB)]) : 'n/a';
    const xsltproc = refs[0];
    return [
      {
        name: 'package-xml',
        goal: this.goal,
        ours: ours!,
        refs,
        verdict,
        notes: [
          `${(stats.bytes / 1e6).toFixed(1)} MB, ${stats.updates} updates, ${stats.fileLocations} file locations; ours keeps every update and location in memory (the snapshot needs them)`,
          ...(xsltproc?.peakRssMB === undefined ? [] : [`xsltproc peak RSS ${xsltproc.peakRssMB.toFixed(0)} MB (builds the whole DOM)`]),
        ],
      },
    ];
  },
};
