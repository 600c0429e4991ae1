import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { BuildEvents } from '../pipeline/build-context.ts';

/** Global flags every command accepts, before or after its name. */
export interface GlobalOptions {
  data?: string;
  config?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  cwd: string;
  /** Raw bytes to standard output (`iso export --out -`); absent in tests that capture text only. */
  stdoutStream?: Writable;
}

export function processIo(): CliIo {
  return {
    env: process.env,
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stderr.isTTY),
    cwd: process.cwd(),
    stdoutStream: process.stdout,
  };
}

/** `--data`, else $PATCHDISC_HOME, else ./patchdisc-data. */
export function resolveDataDir(g: GlobalOptions, io: CliIo): string {
  return g.data ?? io.env['PATCHDISC_HOME'] ?? join(io.cwd, 'patchdisc-data');
}

/**
 * Human lines go to stdout, or to stderr under --json (stdout then carries only the JSON result);
 * --quiet drops them. The JSON log under <data>/logs/ gets everything.
 */
export class Reporter {
  readonly #g: GlobalOptions;
  readonly #io: CliIo;
  #log: Logger | undefined;

  constructor(g: GlobalOptions, io: CliIo) {
    this.#g = g;
    this.#io = io;
  }

  /** Opens the JSON log file of a data dir (pino, one file per day). */
  openLog(dataDir: string, now: Date): void {
    const dir = join(dataDir, 'logs');
    mkdirSync(dir, { recursive: true });
    this.#log = pino(
      { level: 'debug', base: { pid: process.pid } },
      pino.destination({ dest: join(dir, `patchdisc-${now.toISOString().slice(0, 10)}.log`), sync: true, mkdir: true }),
    );
  }

  get json(): boolean {
    return this.#g.json === true;
  }

  get io(): CliIo {
    return this.#io;
  }

  line(text: string): void {
    if (this.#g.quiet) return;
    (this.#g.json ? this.#io.stderr : this.#io.stdout)(`${text}\n`);
  }

  verbose(text: string): void {
    if (this.#g.verbose && !this.#g.quiet) this.#io.stderr(`${text}\n`);
  }

  warn(text: string): void {
    this.#io.stderr(`warning: ${text}\n`);
  }

  result(value: unknown): void {
    this.#io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', message: string, data?: Record<string, unknown>): void {
    this.#log?.[level](data ?? {}, message);
  }

  /** Build events: log everything, print info lines when not on a TTY progress bar. */
  buildEvents(progress?: Partial<BuildEvents>): BuildEvents {
    return {
      log: (level, message, data) => {
        this.log(level, message, data);
        if (level === 'warn' || level === 'error') this.warn(message);
        else if (level === 'info' && !progress?.downloadProgress) this.line(message);
        else this.verbose(message);
      },
      stage: (pipeline, stage, state) => {
        this.log('info', `${pipeline}: ${stage} ${state}`);
        if (state === 'start') this.verbose(`${pipeline}: ${stage}…`);
      },
      ...progress,
    };
  }

  flush(): void {
    this.#log?.flush();
  }
}
