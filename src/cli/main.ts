import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { PatchdiscError } from '../errors.ts';
import { processIo, type CliIo, type GlobalOptions } from './cli-io.ts';
import { EXIT_FAILURE, EXIT_USAGE, exitCodeFor } from './exit-codes.ts';
import { registerMore } from './register-more.ts';

/** Runs a command function with the merged global + command options; errors map to exit codes. */
export type Runner = (cmd: Command, fn: (opts: never, io: CliIo) => Promise<number>) => Promise<void>;

/** The package version, from package.json (two levels up from src/cli and from dist/cli alike). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Builds the `patchdisc` program. Every command's options merge with the global ones. Each command
 * loads its module when it runs, so `--help` and every command load only what they use.
 */
export function createProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('patchdisc')
    .description('Weekly Microsoft patch discs for air-gapped networks: catalog, verified downloads, signed ISO discs, shipments')
    .option('--data <dir>', 'data directory (default $PATCHDISC_HOME, else ./patchdisc-data)')
    .option('--config <file>', 'config file (default <data>/patchdisc.yaml)')
    .option('--json', 'machine-readable result on stdout; logs on stderr')
    .option('--quiet', 'print only errors')
    .option('--verbose', 'print debug lines')
    .version(packageVersion(), '--version', 'print the version and exit')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });

  const run: Runner = async (cmd, fn) => {
    const opts = cmd.optsWithGlobals() as GlobalOptions;
    setExit(await guarded(() => (fn as (o: GlobalOptions, io: CliIo) => Promise<number>)(opts, io), io, opts));
  };

  program
    .command('demo')
    .description('run two weekly builds on the embedded upstream and print what was made')
    .option('--week <YYYY-Www>', 'first of the two weeks (default: last week)')
    .addOption(new Option('--seed <n>', 'upstream seed').argParser(Number))
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/demo.ts')).demoCommand(o, io)));

  program
    .command('build')
    .description('run the weekly build: sync → select → fetch → plan → master → record → report')
    .option('--pipeline <name>', 'only this pipeline (repeatable)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--week <YYYY-Www>', 'the week to build (default: the current week in the configured time zone)')
    .option('--dry-run', 'print the preview (KBs per subscriber, sizes, discs) and write nothing')
    .option('--remaster', 'for a built week: check every disc image against the ledger and write again those missing or damaged (same bytes)')
    .action(async (_o, cmd: Command) => run(cmd, async (o, io) => (await import('./commands/build.ts')).buildCommand(o, io)));

  registerMore(program, run);
  for (const c of program.commands) inheritSettings(c, io);
  return program;
}

function inheritSettings(cmd: Command, io: CliIo): void {
  cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  for (const c of cmd.commands) inheritSettings(c, io);
}

/** Turns an expected failure into one line and its exit code; anything else is an internal error. */
async function guarded(fn: () => Promise<number>, io: CliIo, g: GlobalOptions): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PatchdiscError) {
      io.stderr(`patchdisc: ${err.message}\n`);
      if (g.verbose && err.cause) io.stderr(`  cause: ${String((err.cause as Error).message ?? err.cause)}\n`);
      return exitCodeFor(err.code);
    }
    io.stderr(`patchdisc: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (g.verbose && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    else io.stderr('  (rerun with --verbose for details; please report this)\n');
    return EXIT_FAILURE;
  }
}

/** Parses argv and runs; returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  let code = 0;
  const program = createProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return EXIT_USAGE;
    }
    throw err;
  }
  return code;
}

const isEntry = process.argv[1] !== undefined && /(?:bin\/patchdisc(?:\.mjs)?|cli\/main\.ts)$/.test(process.argv[1]);
if (isEntry) {
  const code = await main(process.argv.slice(2));
  // Every command is finished here (long-running ones return on SIGINT/SIGTERM): exit even if a
  // library left a handle open, once stdout and stderr have drained.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}
