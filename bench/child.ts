/**
 * Child process entry for measuring our own code: `node --import tsx bench/child.ts <case file>
 * <task> <json args>`. Imports the case module, runs `childTasks[task](args)`, and prints one JSON
 * line: the work's wall time (start-up excluded), peak RSS (KiB) and the task's result.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

type Task = (args: never) => Promise<unknown>;

const [caseFile, task, json] = process.argv.slice(2);
if (caseFile === undefined || task === undefined || json === undefined) {
  console.error('usage: bench/child.ts <case file> <task> <json args>');
  process.exit(2);
}
const mod = (await import(pathToFileURL(resolve(import.meta.dirname, caseFile)).href)) as { childTasks?: Record<string, Task> };
const fn = mod.childTasks?.[task];
if (fn === undefined) {
  console.error(`bench/child.ts: ${caseFile} has no child task ${task}`);
  process.exit(2);
}
const start = process.hrtime.bigint();
const result = await fn(JSON.parse(json) as never);
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
// resourceUsage().maxRSS is in KiB on Linux.
console.log(JSON.stringify({ seconds, maxRssKiB: process.resourceUsage().maxRSS, result }));
