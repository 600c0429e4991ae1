import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, loadPipelines } from '../../../src/config/load-config.ts';
import { isPatchdiscError } from '../../../src/errors.ts';
import { main } from '../../../src/cli/main.ts';
import { runCli } from '../../helpers/run-cli.ts';
import { makeTempDir } from '../../helpers/tools.ts';

const dirs: (() => void)[] = [];
afterEach(() => dirs.splice(0).forEach((f) => f()));

function temp(): string {
  const t = makeTempDir();
  dirs.push(t.remove);
  return t.dir;
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    if (isPatchdiscError(err)) return { code: err.code, message: err.message, details: { ...err.details } };
    throw err;
  }
  throw new Error('expected a failure');
}

const GOOD_PIPELINE = `name: win10
title: Windows 10
products: [Windows 10, version 1903 and later]
medium: dvd
`;

describe('loadConfig()', () => {
  it('gives defaults when the data dir has no patchdisc.yaml', async () => {
    const { config } = await loadConfig(temp());
    expect(config.timeZone).toBe('Asia/Shanghai');
    expect(config.schedule.cron).toBe('0 2 * * 1');
    expect(config.upstream.wsusscn2Url).toMatch(/^http:\/\/download\.windowsupdate\.com\//);
  });

  it('names the file, the key path and the line of a bad value', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'patchdisc.yaml'), 'vendor: Example\nschedule:\n  cron: "0 2 * * 1"\nprices:\n  - kind: disc\n    medium: floppy\n    fen: 100\n    effectiveFrom: 2026-01-01\n');
    const f = await failure(loadConfig(dir));
    expect(f.code).toBe('CONFIG_INVALID');
    expect(f.message).toContain(join(dir, 'patchdisc.yaml'));
    expect(f.message).toContain('prices.0.medium');
    expect(f.details['line']).toBe(6);
  });

  it('rejects unknown keys and YAML syntax errors with their line', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'patchdisc.yaml'), 'vendor: Example\ntimezone: UTC\n');
    const unknown = await failure(loadConfig(dir));
    expect(unknown.code).toBe('CONFIG_INVALID');
    expect(unknown.message).toMatch(/timezone/);
    writeFileSync(join(dir, 'patchdisc.yaml'), 'vendor: Example\nallowHosts: [a, b\n');
    const syntax = await failure(loadConfig(dir));
    expect(syntax.code).toBe('CONFIG_INVALID');
    expect(syntax.message).toMatch(/line \d+/);
  });

  it('refuses an alias with no anchor before it, and an alias bomb, as CONFIG_INVALID (found by the fuzzer)', async () => {
    const dir = temp();
    // Each level lists the previous one ten times: 10^13 nodes once expanded.
    const levels = 'abcdefghijklm';
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...[...levels.slice(1)].map((c, i) => `${c}: &${c} [${Array<string>(10).fill(`*${levels[i]}`).join(', ')}]`)];
    for (const text of ['vendor: *nowhere\n', 'allowHosts: [*a]\nx: &a y\n', `${bomb.join('\n')}\n`]) {
      writeFileSync(join(dir, 'patchdisc.yaml'), text);
      const f = await failure(loadConfig(dir));
      expect(f.code, text.slice(0, 40)).toBe('CONFIG_INVALID');
      expect(f.message).toContain(join(dir, 'patchdisc.yaml'));
    }
  });
});

describe('a map used as a key', () => {
  it('is one CONFIG_INVALID line from the CLI, without the YAML library printing a warning', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'patchdisc.yaml'), '? [a, b]\n: c\n');
    const r = await runCli(['status', '--data', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^patchdisc: Cannot load .*patchdisc\.yaml: /)]);
  });
});

describe('loadPipelines()', () => {
  it('loads valid pipelines with defaults', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'win10.yaml'), GOOD_PIPELINE);
    const [p] = await loadPipelines(dir);
    expect(p).toMatchObject({ name: 'win10', content: 'delta', quietWeek: 'ship', medium: 'dvd', architectures: [] });
  });

  it('reports a bad medium with file, key and line', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'win10.yaml'), GOOD_PIPELINE.replace('medium: dvd', 'medium: floppy'));
    const f = await failure(loadPipelines(dir));
    expect(f.message).toContain('win10.yaml');
    expect(f.message).toContain('medium (line 4)');
  });

  it('requires the file name to equal the pipeline name', async () => {
    const dir = temp();
    writeFileSync(join(dir, 'other.yaml'), GOOD_PIPELINE);
    const f = await failure(loadPipelines(dir));
    expect(f.message).toMatch(/must equal the file name/);
  });
});

describe('patchdisc CLI on bad configuration', () => {
  function io(cwd: string): { io: Parameters<typeof main>[1]; out: () => string; err: () => string } {
    let out = '';
    let err = '';
    return {
      io: { env: {}, stdout: (t) => (out += t), stderr: (t) => (err += t), isTTY: false, cwd },
      out: () => out,
      err: () => err,
    };
  }

  it('exits 2 with one line naming file, key and line, and no stack trace', async () => {
    const dir = temp();
    mkdirSync(join(dir, 'pipelines'));
    writeFileSync(join(dir, 'pipelines', 'win10.yaml'), GOOD_PIPELINE.replace('medium: dvd', 'medium: [dvd]'));
    const t = io(dir);
    const code = await main(['status', '--data', dir], t.io);
    expect(code).toBe(2);
    expect(t.err().trim().split('\n')).toHaveLength(1);
    expect(t.err()).toMatch(/win10\.yaml: medium \(line 4\)/);
    expect(t.err()).not.toMatch(/\n\s+at /);
  });

  it('accepts global options after the command name', async () => {
    const dir = temp();
    const t = io(dir);
    expect(await main(['status', '--json', '--data', dir], t.io)).toBe(0);
    expect(JSON.parse(t.out())).toMatchObject({ ok: true, pipelines: [] });
  });

  it('exits 2 on an unknown option and 0 on --help', async () => {
    const dir = temp();
    expect(await main(['build', '--no-such-flag', '--data', dir], io(dir).io)).toBe(2);
    const h = io(dir);
    expect(await main(['build', '--help'], h.io)).toBe(0);
    expect(h.out()).toMatch(/--dry-run/);
  });

  it('exits 2 for an unknown pipeline or a malformed week', async () => {
    const dir = temp();
    mkdirSync(join(dir, 'pipelines'));
    writeFileSync(join(dir, 'pipelines', 'win10.yaml'), GOOD_PIPELINE);
    const a = io(dir);
    expect(await main(['build', '--data', dir, '--pipeline', 'nope'], a.io)).toBe(2);
    expect(a.err()).toMatch(/no such pipeline \(known: win10\)/);
    const b = io(dir);
    expect(await main(['build', '--data', dir, '--week', '2026-48'], b.io)).toBe(2);
    expect(b.err()).toMatch(/expected YYYY-Www/);
  });
});
