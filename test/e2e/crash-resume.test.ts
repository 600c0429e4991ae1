import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, runCli, spawnCli } from '../helpers/run-cli.ts';
import { makeTempDir } from '../helpers/tools.ts';
import { shipmentsPerSubscriberWeek } from '../helpers/ledger-counts.ts';

const WEEK1 = '2026-W40';

interface DemoJson {
  weeks: { week: string; discs: { subscriber: string; disc: number; sha256: string; iso: string }[] }[];
}

function discKey(d: { subscriber: string; disc: number }, week: string): string {
  return `${week} ${d.subscriber} ${d.disc}`;
}

describe('a build killed with SIGKILL anywhere resumes to the same discs', () => {
  const tmp = makeTempDir('patchdisc-crash-');
  afterAll(() => tmp.remove());

  it('ends, after kills at several points, with byte-identical ISOs and one shipment per subscriber and week', async () => {
    // The undisturbed reference run.
    const ref = join(tmp.dir, 'ref');
    const r = await runCli(['demo', '--data', ref, '--week', WEEK1, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const reference = JSON.parse(r.stdout) as DemoJson;
    const expected = new Map(reference.weeks.flatMap((w) => w.discs.map((d) => [discKey(d, w.week), d.sha256] as const)));

    // The crashed run signs with the same key, so its discs can be compared byte for byte.
    const crash = join(tmp.dir, 'crash');
    mkdirSync(crash, { recursive: true });
    const refState = JSON.parse(readFileSync(join(ref, 'demo.json'), 'utf8')) as { keyPath: string; certPath: string; port: number };
    writeFileSync(join(crash, 'demo.json'), JSON.stringify(refState));

    const killedAt: number[] = [];
    // Short delays first: each run resumes the last, so later runs have less left to do.
    for (const delayMs of [400, 600, 800, 1000, 1300, 1700, 2200, 3000, 5000]) {
      const child = spawnCli(['demo', '--data', crash, '--week', WEEK1]);
      const done = collect(child, 300_000);
      const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      const res = await done;
      clearTimeout(timer);
      if (res.signal === 'SIGKILL') killedAt.push(delayMs);
      else expect(res.code, res.stderr).toBe(0);
    }
    expect(killedAt.length, `killed at ${killedAt.join(', ')} ms`).toBeGreaterThanOrEqual(3);

    const final = await runCli(['demo', '--data', crash, '--week', WEEK1, '--json']);
    expect(final.code, final.stderr).toBe(0);
    const got = JSON.parse(final.stdout) as DemoJson;
    const actual = new Map(got.weeks.flatMap((w) => w.discs.map((d) => [discKey(d, w.week), d.sha256] as const)));
    expect(actual).toEqual(expected);
    expect(shipmentsPerSubscriberWeek(join(crash, 'patchdisc.db'))).toEqual(shipmentsPerSubscriberWeek(join(ref, 'patchdisc.db')));
    expect(shipmentsPerSubscriberWeek(join(crash, 'patchdisc.db')).every((s) => s.n === 1)).toBe(true);
  });
});
