import { Option, type Command } from 'commander';
import { scheduleCommand } from './commands/schedule.ts';
import { statusCommand } from './commands/status.ts';
import { upstreamCommand } from './commands/upstream.ts';
import type { Runner } from './main.ts';

/** Commands beyond demo and build; each lives in commands/<verb>.ts. */
export function registerMore(program: Command, run: Runner): void {
  program
    .command('schedule')
    .description('run builds on the configured cron schedule (default Monday 02:00 Asia/Shanghai), with catch-up and alarms')
    .action(async (_o, cmd: Command) => run(cmd, scheduleCommand));

  program
    .command('status')
    .description('last build per pipeline; --check exits 1 when the current week is missing or failed')
    .option('--check', 'exit 1 when the current week is missing or failed (for monitoring)')
    .action(async (_o, cmd: Command) => run(cmd, statusCommand));

  program
    .command('upstream')
    .description('serve the embedded Microsoft simulator (wsusscn2.cab, payloads, Update Catalog, CVRF) on 127.0.0.1')
    .addOption(new Option('--port <n>', 'port (0 = any free)').argParser(Number))
    .addOption(new Option('--seed <n>', 'catalog seed').argParser(Number))
    .addOption(new Option('--week <n>', 'catalog week index').argParser(Number))
    .addOption(new Option('--scale <x>', 'payload size multiplier').argParser(Number))
    .option('--faults <spec>', 'fault injection, e.g. reset:times=2,status503:times=1:match=kb5046613')
    .action(async (_o, cmd: Command) => run(cmd, upstreamCommand));
}
