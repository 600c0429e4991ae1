/**
 * A second ledger user for concurrency tests, run as its own process (`node --import tsx`):
 * `ledger-churn.ts <patchdisc.db> <stop-file> [<ready-file>]` reads the shipment log and appends
 * shipment events (prepared → burned → mailed, then new tracking numbers) in a loop until <stop-file>
 * exists (creating <ready-file> once its first round is done, so a test can start the work to race
 * only when both users really run), then
 * prints `{"reads":N,"writes":N,"raced":N}` (raced: transitions refused because the other churner
 * got there first). Any error is printed and exits 1.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { isPatchdiscError } from '../../src/errors.ts';
import { markShipment } from '../../src/ledger/mark-shipment.ts';
import { openLedger } from '../../src/ledger/open-ledger.ts';
import { listShipments } from '../../src/ledger/shipments.ts';

const [dbPath, stopFile, readyFile] = process.argv.slice(2);
if (dbPath === undefined || stopFile === undefined) {
  process.stderr.write('usage: ledger-churn.ts <patchdisc.db> <stop-file>\n');
  process.exit(2);
}
const ledger = await openLedger(dbPath);
let reads = 0;
let writes = 0;
let tracking = 0;
let raced = 0;
try {
  while (!existsSync(stopFile)) {
    const { rows } = await listShipments(ledger, { limit: 100 });
    reads++;
    for (const row of rows) {
      const next = row.status === 'prepared' ? 'burned' : row.status === 'burned' || row.status === 'mailed' ? 'mailed' : undefined;
      if (next === undefined) continue;
      const t = next === 'mailed' ? { tracking: `SF${String(++tracking).padStart(10, '0')}` } : {};
      try {
        await markShipment(ledger, row.id, { status: next, at: new Date(), actor: 'churn', ...t });
        writes++;
      } catch (err) {
        // Another churner moved this shipment since our read: a refused transition, not a lock failure.
        if (!isPatchdiscError(err, 'VALIDATION')) throw err;
        raced++;
      }
    }
    if (readyFile !== undefined && reads === 1) writeFileSync(readyFile, '');
    await new Promise((r) => setTimeout(r, 25));
  }
  process.stdout.write(`${JSON.stringify({ reads, writes, raced })}\n`);
} catch (err) {
  process.stderr.write(`churn error: ${err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : String(err)}\n`);
  process.exitCode = 1;
} finally {
  await ledger.close();
}
