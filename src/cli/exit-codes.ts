import type { ErrorCode } from '../errors.ts';

export const EXIT_OK = 0;
/** Operational failure: network, disk, a lock held, a download that failed. */
export const EXIT_FAILURE = 1;
/** Usage or configuration error. */
export const EXIT_USAGE = 2;
/** A verification found the disc, image or store invalid. */
export const EXIT_INVALID = 3;

const BY_CODE: Partial<Record<ErrorCode, number>> = {
  USAGE: EXIT_USAGE,
  CONFIG_INVALID: EXIT_USAGE,
  VALIDATION: EXIT_USAGE,
  NOT_FOUND: EXIT_USAGE,
  VERIFY_FAILED: EXIT_INVALID,
  ISO_CORRUPT: EXIT_INVALID,
};

/** The exit code for a PatchdiscError code. */
export function exitCodeFor(code: ErrorCode): number {
  return BY_CODE[code] ?? EXIT_FAILURE;
}
