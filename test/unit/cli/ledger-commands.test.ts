import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { CliIo, GlobalOptions } from '../../../src/cli/cli-io.ts';
import { exitCodeFor } from '../../../src/cli/exit-codes.ts';
import type { Runner } from '../../../src/cli/main.ts';
import { registerLedgerCommands } from '../../../src/cli/register-ledger.ts';
import { generateSigningKey } from '../../../src/disc/keys.ts';
import { PatchdiscError } from '../../../src/errors.ts';
import { openLedger } from '../../../src/ledger/open-ledger.ts';
import { setPrice } from '../../../src/ledger/prices.ts';
import { recordWeek, type RecordedSet } from '../../../src/ledger/record-week.ts';
import { recordSigningKey } from '../../../src/ledger/signing-keys.ts';
import { makeTempDir } from '../../helpers/tools.ts';

const PIPELINE_YAML = 'name: win11\ntitle: Windows 11\nproducts: [Windows 11]\nmedium: dvd\n';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A data dir with pipelines/win11.yaml, and a runner that parses argv with the ledger commands
 * registered on a program carrying the global flags, mapping errors to exit codes as cli/main does.
 */
async function withCli(work: (cli: (...argv: string[]) => Promise<Run>, dataDir: string) => Promise<void>): Promise<void> {
  const tmp = makeTempDir('patchdisc-cli-ledger-');
  const dataDir = join(tmp.dir, 'data');
  mkdirSync(join(dataDir, 'pipelines'), { recursive: true });
  writeFileSync(join(dataDir, 'pipelines', 'win11.yaml'), PIPELINE_YAML);
  const cli = async (...argv: string[]): Promise<Run> => {
    const out = { code: 0, stdout: '', stderr: '' };
    const io: CliIo = { env: {}, stdout: (t) => (out.stdout += t), stderr: (t) => (out.stderr += t), isTTY: false, cwd: tmp.dir };
    const program = new Command().option('--data <dir>').option('--json').option('--quiet').option('--verbose').exitOverride();
    program.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    const run: Runner = async (cmd, fn) => {
      try {
        out.code = await (fn as (o: GlobalOptions, io: CliIo) => Promise<number>)(cmd.optsWithGlobals(), io);
      } catch (err) {
        if (!(err instanceof PatchdiscError)) throw err;
        io.stderr(`patchdisc: ${err.message}\n`);
        out.code = exitCodeFor(err.code);
      }
    };
    registerLedgerCommands(program, run);
    await program.parseAsync(['--data', dataDir, ...argv], { from: 'user' });
    return out;
  };
  try {
    await work(cli, dataDir);
  } finally {
    tmp.remove();
  }
}

const ADD = ['subscribers', 'add', '--name', '示例单位', '--organisation', '某某研究所', '--contact', '李四', '--phone', '010-62345678'];
const ADDRESS = ['--province', '北京市', '--city', '北京市', '--district', '海淀区', '--street', '学院路 30 号'];
function addArgs(code: string, o: { postcode?: string; name?: string; end?: string } = {}): string[] {
  const args = [...ADD, ...ADDRESS, '--code', code, '--postcode', o.postcode ?? '100083', '--medium', 'dvd', '--copies', '2'];
  args.push('--pipeline', 'win11', '--start', '2025-01-01', '--end', o.end ?? '2025-12-31');
  if (o.name !== undefined) args.splice(args.indexOf('示例单位'), 1, o.name);
  return args;
}

function discSet(subscriberId: number, discs: number): RecordedSet {
  return {
    subscriberId,
    pipeline: 'win11',
    sequence: 1,
    contentKey: 'ck',
    manifestSha256: `${subscriberId}`.padEnd(64, '0'),
    quiet: false,
    items: [{ revisionId: 100, kb: '5034441', sha1: 'a'.repeat(40) }],
    discs: Array.from({ length: discs }, (_, i) => ({
      number: i + 1,
      of: discs,
      volumeId: `PATCHDISC_${subscriberId}_${i + 1}`,
      isoPath: `/out/${subscriberId}-${i + 1}.iso`,
      bytes: 1_000_000,
      sha256: `${'d'.repeat(8)}${String(subscriberId).padStart(8, '0')}`.padEnd(64, 'e'),
    })),
  };
}

/** Prices and one recorded week 2025-W03 for every subscriber in the ledger (2 discs each). */
async function seedWeek(dataDir: string): Promise<void> {
  const ledger = await openLedger(join(dataDir, 'patchdisc.db'));
  try {
    await setPrice(ledger, { kind: 'disc', medium: 'dvd', fen: 1500, effectiveFrom: '2024-01-01' });
    await setPrice(ledger, { kind: 'postage', fen: 2200, effectiveFrom: '2024-01-01' });
    const ids = ledger.sqlite.prepare('SELECT id FROM subscribers ORDER BY id').pluck().all() as number[];
    await recordWeek(ledger, { week: '2025-W03', buildId: null, now: new Date('2025-01-13T02:00:00Z'), sets: ids.map((id) => discSet(id, 2)) });
  } finally {
    await ledger.close();
  }
}

describe('patchdisc subscribers', () => {
  it('add stores a subscriber and list --json returns it with its pipelines', async () => {
    await withCli(async (cli) => {
      const added = await cli(...addArgs('ACME-001'));
      expect(added.stderr).toBe('');
      expect(added.code).toBe(0);
      const list = await cli('subscribers', 'list', '--json');
      expect(list.code).toBe(0);
      const rows = JSON.parse(list.stdout) as Record<string, unknown>[];
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ code: 'ACME-001', name: '示例单位', postcode: '100083', copies: 2, pipelines: ['win11'], suspended: false });
    });
  });

  it('add exits 2 naming the bad field, an end before the start, an unknown pipeline and a duplicate code', async () => {
    await withCli(async (cli) => {
      const bad = await cli(...addArgs('ACME-001', { postcode: '1000' }));
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('postcode: a 6-digit postcode');
      const period = await cli(...addArgs('ACME-001', { end: '2024-06-30' }));
      expect(period.code).toBe(2);
      expect(period.stderr).toContain('serviceEnd: the service end is before its start');
      const pipeline = await cli(...addArgs('ACME-001'), '--pipeline', 'vista');
      expect(pipeline.code).toBe(2);
      expect(pipeline.stderr).toContain('unknown pipeline "vista"');
      expect((await cli(...addArgs('ACME-001'))).code).toBe(0);
      const dup = await cli(...addArgs('ACME-001'));
      expect(dup.code).toBe(2);
      expect(dup.stderr).toContain('code: ACME-001 is already in use');
      expect(JSON.parse((await cli('subscribers', 'list', '--json')).stdout)).toHaveLength(1);
    });
  });

  it('import with two bad lines exits 2, prints both line numbers and imports nothing', async () => {
    await withCli(async (cli, dataDir) => {
      const header = 'code,name,organisation,contact,phone,email,province,city,district,street,postcode,medium,copies,service_start,service_end,pipelines';
      const row = (code: string, postcode: string, phone = '13900139000') =>
        `${code},单位,研究所,王五,${phone},,广东省,深圳市,南山区,"科技园, 1 栋",${postcode},cd,1,2025-01-01,2025-12-31,win11`;
      const file = join(dataDir, 'subs.csv');
      writeFileSync(file, [header, row('GOOD-01', '518057'), row('BAD-02', '5180'), row('GOOD-03', '518057'), row('BAD-04', '518057', 'call me')].join('\r\n'));
      const r = await cli('subscribers', 'import', file);
      expect(r.code).toBe(2);
      const lines = r.stderr.split('\n');
      expect(lines).toContain('  line 3 postcode: a 6-digit postcode');
      expect(lines.some((l) => l.startsWith('  line 5 phone: '))).toBe(true);
      expect(JSON.parse((await cli('subscribers', 'list', '--json')).stdout)).toEqual([]);
    });
  });

  it('export writes CSV that imports back; show prints the history', async () => {
    await withCli(async (cli, dataDir) => {
      await cli(...addArgs('ACME-001'));
      await cli('subscribers', 'suspend', 'ACME-001');
      const out = join(dataDir, 'export.csv');
      expect((await cli('subscribers', 'export', '--out', out)).code).toBe(0);
      const csv = readFileSync(out, 'utf8');
      expect(csv.startsWith('\uFEFFcode,name,')).toBe(true);
      expect(csv).toContain('ACME-001,示例单位');
      expect((await cli('subscribers', 'import', out)).stdout).toContain('0 added, 1 updated');
      const show = await cli('subscribers', 'show', 'ACME-001');
      expect(show.stdout).toMatch(/add\b.*\n.*suspend\b.*\n.*import-update/s);
      expect((await cli('subscribers', 'show', 'NOPE-1')).code).toBe(2);
    });
  });
});

describe('patchdisc shipments', () => {
  it('list --json gives exactly id, week, subscriber, status, discs, medium, feeFen, tracking', async () => {
    await withCli(async (cli, dataDir) => {
      await cli(...addArgs('ACME-001'));
      await cli(...addArgs('BETA-002'));
      await seedWeek(dataDir);
      const r = await cli('shipments', 'list', '--week', '2025-W03', '--json');
      expect(r.code).toBe(0);
      const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
      expect(rows).toHaveLength(2);
      for (const row of rows) expect(Object.keys(row).sort()).toEqual(['discs', 'feeFen', 'id', 'medium', 'status', 'subscriber', 'tracking', 'week']);
      expect(rows.find((x) => x['subscriber'] === 'ACME-001')).toMatchObject({ week: '2025-W03', status: 'prepared', discs: 4, medium: 'dvd', feeFen: 4 * 1500 + 2200, tracking: null });
      const bad = await cli('shipments', 'list', '--status', 'shipped');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('status');
    });
  });

  it('mark --mailed --tracking shows in the list; a transition from a final status fails clearly', async () => {
    await withCli(async (cli, dataDir) => {
      await cli(...addArgs('ACME-001'));
      await seedWeek(dataDir);
      const [first] = JSON.parse((await cli('shipments', 'list', '--json')).stdout) as { id: number }[];
      const id = String(first?.id);
      expect((await cli('shipments', 'mark', id, '--mailed')).code).toBe(2);
      const mailed = await cli('shipments', 'mark', id, '--mailed', '--tracking', 'SF1234567890', '--at', '2025-01-14');
      expect(mailed.code).toBe(0);
      const after = JSON.parse((await cli('shipments', 'list', '--subscriber', 'ACME-001', '--json')).stdout) as Record<string, unknown>[];
      expect(after[0]).toMatchObject({ status: 'mailed', tracking: 'SF1234567890' });
      expect((await cli('shipments', 'mark', id, '--delivered')).code).toBe(0);
      const again = await cli('shipments', 'mark', id, '--returned');
      expect(again.code).toBe(2);
      expect(again.stderr).toContain(`Cannot mark shipment ${id} returned: it is delivered; that is final; reship it instead`);
      expect((await cli('shipments', 'reship', id)).code).toBe(2);
    });
  });

  it('slips writes one A4 page per parcel with each postcode and every value escaped', async () => {
    await withCli(async (cli, dataDir) => {
      await cli(...addArgs('ACME-001', { postcode: '100083' }));
      await cli(...addArgs('EVIL-002', { postcode: '518057', name: '<script>alert(1)</script>' }));
      await seedWeek(dataDir);
      const key = await generateSigningKey({ name: 'Slip signer', passphrase: 'correct horse battery', keyDir: join(dataDir, 'keys') });
      const ledger = await openLedger(join(dataDir, 'patchdisc.db'));
      await recordSigningKey(ledger, { keyId: key.keyId, name: 'Slip signer', certPath: key.certPath, keyPath: key.keyPath, createdAt: new Date(), notAfter: new Date('2035-01-01'), activate: true });
      await ledger.close();
      const out = join(dataDir, 'slips.html');
      const r = await cli('shipments', 'slips', '--week', '2025-W03', '--out', out);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const html = readFileSync(out, 'utf8');
      expect(html).toContain('size: A4');
      expect(html.match(/<section class="slip">/g)).toHaveLength(2);
      expect(html).toContain('100083');
      expect(html).toContain('518057');
      expect(html).not.toContain('<script>');
      expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
      expect(html).toContain(key.keyId.slice(0, 4).toUpperCase());
      expect(html).toContain('2 / 2');
      expect(html).not.toMatch(/(?:src|href)=|@import|url\(/);
    });
  });
});

describe('patchdisc billing statement', () => {
  it('--csv starts with a BOM and ends lines with CRLF; text shows ¥ with two decimals', async () => {
    await withCli(async (cli, dataDir) => {
      await cli(...addArgs('ACME-001'));
      await seedWeek(dataDir);
      const csv = await cli('billing', 'statement', '--month', '2025-01', '--csv');
      expect(csv.code).toBe(0);
      expect(csv.stdout.startsWith('\uFEFFsubscriber,')).toBe(true);
      expect(csv.stdout.split('\r\n')).toHaveLength(4); // header, shipment, total, final empty
      expect(csv.stdout.replaceAll('\r\n', '')).not.toContain('\n');
      const text = await cli('billing', 'statement', '--month', '2025-01');
      expect(text.stdout).toContain('= ¥82.00'); // 2 discs × 2 copies × ¥15 + ¥22 postage
      const bad = await cli('billing', 'statement', '--month', '2025-13');
      expect(bad.code).toBe(2);
    });
  });
});
