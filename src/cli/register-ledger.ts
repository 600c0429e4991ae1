import type { Command } from 'commander';
import type { Runner } from './main.ts';

/** Collects a repeatable flag whose values may also be comma lists (`--pipeline a,b --pipeline c`). */
function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];
}

/** The subscriber fields, shared by `subscribers add` and `subscribers edit`. */
function subscriberFields(cmd: Command): Command {
  return cmd
    .option('--name <text>', 'name of the site or department, e.g. 示例单位')
    .option('--organisation <text>', 'organisation, e.g. 某某研究所')
    .option('--contact <name>', 'contact person')
    .option('--phone <no>', 'mainland phone: 13800138000 or 010-62345678')
    .option('--email <addr>', 'e-mail address (optional)')
    .option('--province <text>', 'province, e.g. 北京市')
    .option('--city <text>', 'city')
    .option('--district <text>', 'district (optional)')
    .option('--street <text>', 'street address')
    .option('--postcode <nnnnnn>', '6-digit postcode')
    .option('--medium <m>', 'cd, dvd, dvd-dl, bd25 or bd50')
    .option('--copies <n>', 'copies of each disc (default 1)')
    .option('--pipeline <names>', 'pipeline(s) subscribed to (repeatable or a comma list)', collectList)
    .option('--start <YYYY-MM-DD>', 'first day of service')
    .option('--end <YYYY-MM-DD>', 'last day of service')
    .option('--price-plan <plan>', 'price plan (default standard)')
    .option('--notes <text>', 'free notes');
}

/** `subscribers`, `shipments` and `billing`: the clerk's ledger on the command line. */
export function registerLedgerCommands(program: Command, run: Runner): void {
  const subscribers = program.command('subscribers').description('the subscriber register: add, edit, list, show, suspend, resume, import, export');
  subscriberFields(subscribers.command('add').description('add a subscriber (every field is checked; problems exit 2)').option('--code <CODE>', 'subscriber code, e.g. ACME-001')).action(
    async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/subscribers.ts')).subscribersAddCommand(o, io)),
  );
  subscriberFields(subscribers.command('edit <code>').description('change the given fields of a subscriber')).action(async (code: string, _o, cmd: Command) =>
    run(cmd, async (o, io) => (await import('./commands/subscribers.ts')).subscribersEditCommand(code, o, io)),
  );
  subscribers
    .command('list')
    .description('subscribers ordered by code (--json for the full records)')
    .option('--search <text>', 'match code, name, organisation or contact')
    .option('--pipeline <name>', 'only subscribers of this pipeline')
    .option('--active', 'leave out suspended subscribers')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/subscribers.ts')).subscribersListCommand(o, io)));
  subscribers
    .command('show <code>')
    .description('a subscriber with its history and its shipments')
    .action(async (code: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/subscribers.ts')).subscribersShowCommand(code, o, io)));
  subscribers
    .command('suspend <code>')
    .description('stop sending discs to a subscriber')
    .action(async (code: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/subscribers.ts')).subscribersSuspendCommand(code, true, o, io)));
  subscribers
    .command('resume <code>')
    .description('send discs to a suspended subscriber again')
    .action(async (code: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/subscribers.ts')).subscribersSuspendCommand(code, false, o, io)));
  subscribers
    .command('import <file>')
    .description('import subscribers from CSV (as exported); all or nothing, every problem listed by line')
    .action(async (file: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/subscribers.ts')).subscribersImportCommand(file, o, io)));
  subscribers
    .command('export')
    .description('every subscriber as CSV for Excel (UTF-8 BOM, CRLF)')
    .option('--out <file>', 'write to FILE instead of stdout')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/subscribers.ts')).subscribersExportCommand(o, io)));

  const shipments = program.command('shipments').description('the shipment log: list, mark, reship, packing slips');
  shipments
    .command('list')
    .description('shipments, newest first (--json: id, week, subscriber, status, discs, medium, feeFen, tracking)')
    .option('--week <YYYY-Www>', 'only this ISO week')
    .option('--month <YYYY-MM>', 'only weeks whose Monday is in this month')
    .option('--subscriber <code>', 'only this subscriber')
    .option('--status <status>', 'prepared, burned, mailed, delivered, returned or lost')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/shipments.ts')).shipmentsListCommand(o, io)));
  shipments
    .command('mark <id>')
    .description('record what happened to a parcel: --burned, --mailed --tracking NO, --delivered, --returned or --lost')
    .option('--burned', 'the discs are burned')
    .option('--mailed', 'handed to the courier (needs --tracking)')
    .option('--delivered', 'the subscriber received it')
    .option('--returned', 'it came back')
    .option('--lost', 'the courier lost it')
    .option('--tracking <no>', 'courier tracking number')
    .option('--at <date>', 'when it happened (YYYY-MM-DD or ISO time; default now)')
    .option('--note <text>', 'a note kept with the event')
    .action(async (id: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/shipments.ts')).shipmentsMarkCommand(id, o, io)));
  shipments
    .command('reship <id>')
    .description('send a returned or lost parcel again, free of charge')
    .action(async (id: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/shipments.ts')).shipmentsReshipCommand(id, o, io)));
  shipments
    .command('slips')
    .description('printable A4 packing slips (zh-CN / en) for a week, one per parcel')
    .option('--week <YYYY-Www>', 'the week (required)')
    .option('--out <file>', 'the .html file to write (required)')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/shipments.ts')).shipmentsSlipsCommand(o, io)));

  const billing = program.command('billing').description('monthly statements');
  billing
    .command('statement')
    .description('per subscriber: shipments, discs, fees and totals of a month (text, --csv or --json)')
    .option('--month <YYYY-MM>', 'the month (required)')
    .option('--subscriber <code>', 'only this subscriber')
    .option('--csv', 'spreadsheet CSV (UTF-8 BOM, CRLF)')
    .option('--out <file>', 'write to FILE instead of stdout')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/billing.ts')).billingStatementCommand(o, io)));
}
