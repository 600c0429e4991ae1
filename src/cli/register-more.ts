import { Option, type Command } from 'commander';
import { registerLedgerCommands } from './register-ledger.ts';
import type { Runner } from './main.ts';

/** Commands beyond demo and build; each lives in commands/<verb>.ts. */
export function registerMore(program: Command, run: Runner): void {
  const inspect = program.command('inspect').description('read Microsoft formats: cab, wsusscn2, search-page, download-dialog, cvrf');
  inspect
    .command('cab <file>')
    .description('list a cabinet (members, folders, compression); --extract DIR writes the members')
    .option('--extract <dir>', 'extract members into DIR (a \\ in a name becomes a folder)')
    .action(async (file: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/inspect.ts')).inspectCabCommand(file, o, io)));
  inspect
    .command('wsusscn2 <file>')
    .description('every bundle of a wsusscn2.cab: KB, title, products, classifications, supersedence, files')
    .action(async (file: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/inspect.ts')).inspectWsusscn2Command(file, o, io)));
  inspect
    .command('search-page <file>')
    .description('rows and paging of a saved Update Catalog Search.aspx page')
    .action(async (file: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/inspect.ts')).inspectSearchPageCommand(file, o, io)));
  inspect
    .command('download-dialog <file>')
    .description('file URLs and SHA-1 digests of a saved DownloadDialog.aspx response')
    .action(async (file: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/inspect.ts')).inspectDownloadDialogCommand(file, o, io)));
  inspect
    .command('cvrf <file>')
    .description('KBs, CVEs, severity and restart flags of an MSRC CVRF document')
    .action(async (file: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/inspect.ts')).inspectCvrfCommand(file, o, io)));

  const keys = program.command('keys').description('the vendor signing key: generate, rotate, show');
  keys
    .command('generate')
    .description('new RSA-3072 signing key (passphrase from PATCHDISC_KEY_PASSPHRASE or a prompt) with a self-signed certificate; becomes active')
    .option('--name <name>', 'certificate subject, e.g. "Example Security signing key 2026"')
    .addOption(new Option('--days <n>', 'validity in days (default 3650)').argParser(Number))
    .option('--dir <dir>', 'where to write the key files (default <data>/keys)')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/keys.ts')).keysGenerateCommand(o, io)));
  keys
    .command('rotate')
    .description('planned rotation: new active key; its discs carry a statement signed by the old and the new key (PATCHDISC_KEY_PASSPHRASE unlocks the old key; PATCHDISC_NEW_KEY_PASSPHRASE, else the same, protects the new one)')
    .option('--name <name>', 'certificate subject of the new key, e.g. "Example Security signing key 2027"')
    .addOption(new Option('--days <n>', 'validity in days (default 3650)').argParser(Number))
    .option('--dir <dir>', 'where to write the new key files (default <data>/keys)')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/keys.ts')).keysRotateCommand(o, io)));
  keys
    .command('show')
    .description('the active key id and fingerprint, grouped for reading over the phone')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/keys.ts')).keysShowCommand(o, io)));

  const iso = program.command('iso').description('our ISO 9660 + Joliet + Rock Ridge writer and checker');
  iso
    .command('build <dir>')
    .description('master a folder into an ISO image (deterministic with --date or SOURCE_DATE_EPOCH)')
    .option('--out <file>', 'the .iso to write')
    .option('--label <label>', 'volume id (d-characters, up to 32)')
    .addOption(new Option('--date <epoch>', 'every date in the image, seconds since 1970').argParser(Number))
    .option('--no-fsync', 'leave the image in the page cache instead of flushing it to disk before the rename (faster; not safe against a power cut)')
    .action(async (dir: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/iso.ts')).isoBuildCommand(dir, o, io)));
  iso
    .command('check <file>')
    .description('structural checks (both-endian fields, extents, records, path tables, size) and every file readable')
    .action(async (file: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/iso.ts')).isoCheckCommand(file, o, io)));
  iso
    .command('export <image>')
    .description('write out the full image a thin image (.iso.thin) stands for, checked against its SHA-256; --out - streams it to a burner')
    .option('--out <file>', 'the .iso to write, or - for standard output')
    .option('--no-fsync', 'leave the written image in the page cache instead of flushing it before the rename')
    .action(async (image: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/iso.ts')).isoExportCommand(image, o, io)));

  program
    .command('download <url>')
    .description('fetch one file into the content store, SHA-1 checked and SHA-256 computed in one pass')
    .option('--sha1 <digest>', 'expected SHA-1 (hex or base64, as the catalog gives it)')
    .option('--allow-host <host>', 'also allow this host (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .action(async (url: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/store.ts')).downloadCommand(url, o, io)));
  const store = program.command('store').description('the content-addressed store of downloaded files');
  store
    .command('verify')
    .description('re-hash every stored file; corrupt files are quarantined and reported')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/store.ts')).storeVerifyCommand(o, io)));
  store
    .command('gc')
    .description('remove stored files that no retained build references')
    .addOption(new Option('--keep-weeks <n>', 'keep files of builds from the last N weeks (default retention.keepWeeks)').argParser(Number))
    .option('--dry-run', 'only list what would be removed')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/store.ts')).storeGcCommand(o, io)));

  program
    .command('kit <subscriber>')
    .description('enrollment kit for a subscriber: pinned certificate, fingerprint, baseline, verify-disc.sh, verify.html')
    .option('--out <file>', 'the .zip to write')
    .action(async (code: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/kit.ts')).kitCommand(code, o, io)));

  program
    .command('verify <target>')
    .description('check a disc (folder, .iso file or device) against your pinned certificate: signatures, files, subscriber, sequence, expiry')
    .option('--cert <file>', 'the certificate from the enrollment kit (required)')
    .option('--subscriber <code>', 'your subscriber code: the disc must be meant for it')
    .option('--state <file>', 'verify state file (default ~/.patchdisc/verify-state.json; updated only on success)')
    .option('--at <time>', 'check expiry as of this time instead of now (e.g. to audit an old disc)')
    .action(async (target: string, _o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/verify.ts')).verifyCommand(target, o, io)));

  program
    .command('select')
    .description('what a pipeline selects from the last synced catalog, and why; --subscriber shows that subscriber\'s next disc')
    .requiredOption('--pipeline <name>', 'pipeline name')
    .option('--subscriber <code>', 'subscriber code')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/select.ts')).selectCommand(o, io)));

  registerLedgerCommands(program, run);

  program
    .command('serve')
    .description('the billing clerk\'s web page: shipment log, subscribers, builds, discs (zh-CN / en)')
    .option('--host <host>', 'address to bind (default 127.0.0.1; another address needs --token)')
    .addOption(new Option('--port <n>', 'port (default 8080)').argParser(Number))
    .option('--token <token>', 'access token (or PATCHDISC_SERVE_TOKEN); needed to mark shipments')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/serve.ts')).serveCommand(o, io)));

  program
    .command('schedule')
    .description('run builds on the configured cron schedule (default Monday 02:00 Asia/Shanghai), with catch-up and alarms')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/schedule.ts')).scheduleCommand(o, io)));

  program
    .command('status')
    .description('last build per pipeline; --check exits 1 when the current week is missing or failed')
    .option('--check', 'exit 1 when the current week is missing or failed (for monitoring)')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/status.ts')).statusCommand(o, io)));

  program
    .command('upstream')
    .description('serve the embedded Microsoft simulator (wsusscn2.cab, payloads, Update Catalog, CVRF) on 127.0.0.1')
    .addOption(new Option('--port <n>', 'port (0 = any free)').argParser(Number))
    .addOption(new Option('--seed <n>', 'catalog seed').argParser(Number))
    .addOption(new Option('--week <n>', 'catalog week index').argParser(Number))
    .addOption(new Option('--scale <x>', 'payload size multiplier').argParser(Number))
    .option('--faults <spec>', 'fault injection, e.g. reset:times=2,status503:times=1:match=kb5046613')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/upstream.ts')).upstreamCommand(o, io)));
}
