import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PatchdiscError } from '../../errors.ts';
import { billingStatement, billingStatementCsv, formatYuan, type BillingStatement } from '../../ledger/billing.ts';
import type { CliIo, GlobalOptions } from '../cli-io.ts';
import { openWorkspace } from '../workspace.ts';

export interface BillingStatementOptions extends GlobalOptions {
  month?: string;
  subscriber?: string;
  csv?: boolean;
  out?: string;
}

/** The statement as text for a person: per subscriber its shipments and totals, money as ¥0.00. */
export function billingStatementText(st: BillingStatement): string {
  const yuan = (fen: number) => `¥${formatYuan(fen)}`;
  const lines = [`Billing statement ${st.month} (weeks ${st.weeks.join(', ')})`, ''];
  for (const s of st.subscribers) {
    lines.push(`${s.code}  ${s.name}  (${s.organisation})`);
    for (const l of s.lines) {
      lines.push(
        `  ${l.week}  #${l.shipmentId}  ${l.medium} ×${l.copies}  ${l.discs} disc(s)  discs ${yuan(l.discFeesFen)} + postage ${yuan(l.postageFen)} = ${yuan(l.totalFen)}  ${l.status}`,
      );
    }
    lines.push(`  total: ${s.shipments} shipment(s), ${s.discs} disc(s), discs ${yuan(s.discFeesFen)} + postage ${yuan(s.postageFen)} = ${yuan(s.totalFen)}`, '');
  }
  const t = st.totals;
  if (st.subscribers.length === 0) lines.push('no shipments billed this month', '');
  lines.push(`all subscribers: ${t.shipments} shipment(s), ${t.discs} disc(s), discs ${yuan(t.discFeesFen)} + postage ${yuan(t.postageFen)} = ${yuan(t.totalFen)}`);
  return `${lines.join('\n')}\n`;
}

/**
 * `patchdisc billing statement --month YYYY-MM [--subscriber C] [--csv|--json] [--out FILE]`: text,
 * spreadsheet CSV (UTF-8 BOM, CRLF) or JSON, on stdout unless --out.
 */
export async function billingStatementCommand(opts: BillingStatementOptions, io: CliIo): Promise<number> {
  if (!opts.month) throw new PatchdiscError('USAGE', 'Cannot print a billing statement: --month YYYY-MM is required');
  if (opts.csv && opts.json) throw new PatchdiscError('USAGE', 'Cannot print a billing statement: choose one of --csv and --json');
  const ws = await openWorkspace(opts, io);
  try {
    const st = await billingStatement(ws.ledger, { month: opts.month, ...(opts.subscriber !== undefined ? { subscriber: opts.subscriber } : {}) });
    if (opts.subscriber !== undefined && st.subscribers.length === 0) {
      const known = await ws.ledger.db.selectFrom('subscribers').select('id').where('code', '=', opts.subscriber).executeTakeFirst();
      if (!known) {
        throw new PatchdiscError('NOT_FOUND', `Cannot print a billing statement for ${opts.subscriber}: no such subscriber; check the code with "patchdisc subscribers list"`);
      }
    }
    const text = opts.csv ? billingStatementCsv(st) : opts.json ? `${JSON.stringify(st, null, 2)}\n` : billingStatementText(st);
    if (opts.out === undefined) io.stdout(text);
    else {
      const path = resolve(io.cwd, opts.out);
      await writeFile(path, text, 'utf8');
      ws.reporter.line(`wrote ${path}: ${st.subscribers.length} subscriber(s), total ¥${formatYuan(st.totals.totalFen)}`);
    }
    return 0;
  } finally {
    await ws.close();
  }
}
