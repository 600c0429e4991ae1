/**
 * The one error family of patchdisc. Every expected failure carries a stable `code` and the data a
 * caller needs; `cli/main` maps codes to exit codes and prints `message` as one line.
 */
export type ErrorCode =
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'NOT_FOUND'
  | 'CAB_CORRUPT'
  | 'CAB_UNSUPPORTED'
  | 'XML_INVALID'
  | 'CATALOG_INVALID'
  | 'HASH_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'HOST_NOT_ALLOWED'
  | 'HTTP_ERROR'
  | 'NETWORK_ERROR'
  | 'RETRIES_EXHAUSTED'
  | 'DISK_FULL'
  | 'NAME_TOO_LONG'
  | 'NAME_INVALID'
  | 'FILE_TOO_LARGE'
  | 'ISO_CORRUPT'
  | 'VERIFY_FAILED'
  | 'KEY_ERROR'
  | 'LOCKED'
  | 'LEDGER_ERROR'
  | 'VALIDATION'
  | 'ABORTED'
  | 'INTERNAL';

export class PatchdiscError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PatchdiscError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `err` is a PatchdiscError, optionally with the given code. */
export function isPatchdiscError(err: unknown, code?: ErrorCode): err is PatchdiscError {
  return err instanceof PatchdiscError && (code === undefined || err.code === code);
}
