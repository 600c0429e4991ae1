/**
 * Child process entry for measuring our own code: `node --import tsx bench/child.ts <case file>
 * <task> <json args>`. Imports the case module, runs `childTasks[task](args)`, and prints one JSON
 * line: the work's wall time (start-up excluded), peak RSS (KiB) and the task's result.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type Task = (args: never) => Promise<unknown>;

const [caseFile, task, json] = process.argv.slice(2);
if (caseFile === undefined || task === undefined || json === undefined) {
  console.error('usage: bench/child.ts <case file> <task> <json args>');
  process.exit(2);
}
const mod = (await import(pathToFileURL(resolve(import.meta.dirname, caseFile)).href)) as {
  childTasks?: Record<string, Task>;
  /** Run before the timer starts: module loading is start-up, not the work being measured. */
  childWarmups?: Record<string, () => Promise<void>>;
};
const fn = mod.childTasks?.[task];
if (fn === undefined) {
  console.error(`bench/child.ts: ${caseFile} has no child task ${task}`);
  process.exit(2);
}
await mod.childWarmups?.[task]?.();
// `@path`: the args are in that file (runChildTask passes large ones so, over argv's size limit).
const args: unknown = JSON.parse(json.startsWith('@') ? readFileSync(json.slice(1), 'utf8') : json);
const start = process.hrtime.bigint();
const result = await fn(args as never);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
/**
 * Peak RSS of this process in KiB. getrusage's ru_maxrss survives execve, so a child spawned by a
 * parent holding a large heap would report the parent's peak; /proc's VmHWM starts afresh at exec.
 */
function peakRssKiB(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // Not Linux: fall back below.
  }
  return process.resourceUsage().maxRSS;
}
console.log(JSON.stringify({ seconds, maxRssKiB: peakRssKiB(), result }));
