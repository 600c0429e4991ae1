/**
 * MSZIP ([MS-MCI]): every CFDATA block is the two bytes 'CK' and a complete raw deflate stream whose
 * back-references may reach into the previous 32 KiB of output (the preset dictionary).
 */
import { constants, inflateRawSync } from 'node:zlib';
import { PatchdiscError } from '../errors.ts';

export const MSZIP_SIGNATURE_0 = 0x43; // 'C'
export const MSZIP_SIGNATURE_1 = 0x4b; // 'K'
export const MSZIP_SIGNATURE_SIZE = 2;
/** Deflate's history window, and the most one MSZIP block may produce. */
export const MSZIP_WINDOW = 32_768;

/** Decodes the blocks of one MSZIP folder in order. */
export class MszipDecoder {
  private history: Buffer = Buffer.alloc(0);

  /** Decode one CFDATA block that must produce exactly `outputLength` bytes. */
  decode(input: Uint8Array, outputLength: number): Uint8Array {
    if (outputLength > MSZIP_WINDOW) throw this.fail(`block declares ${outputLength} bytes of output (more than 32768)`);
    if (input.length < MSZIP_SIGNATURE_SIZE || input[0] !== MSZIP_SIGNATURE_0 || input[1] !== MSZIP_SIGNATURE_1) {
      throw this.fail('block does not start with the CK signature');
    }
    const body = input.subarray(MSZIP_SIGNATURE_SIZE);
    let out: Buffer;
    try {
      out = inflateRawSync(body, {
        // Buffer.alloc(0) is not a valid zlib dictionary; the first block has none.
        ...(this.history.length > 0 ? { dictionary: this.history } : {}),
        // One byte more than allowed so that an overlong block is detected instead of clipped.
        maxOutputLength: outputLength + 1,
        finishFlush: constants.Z_SYNC_FLUSH,
      });
    } catch (cause) {
      throw this.fail(`deflate data is invalid (${(cause as Error).message})`, cause);
    }
    if (out.length !== outputLength) throw this.fail(`block produced ${out.length} bytes instead of ${outputLength}`);
    this.history =
      out.length >= MSZIP_WINDOW
        ? out.subarray(out.length - MSZIP_WINDOW)
        : Buffer.concat([this.history, out]).subarray(-MSZIP_WINDOW);
    return out;
  }

  private fail(state: string, cause?: unknown): PatchdiscError {
    return new PatchdiscError('CAB_CORRUPT', `Cannot decode MSZIP: ${state}`, cause === undefined ? {} : { cause });
  }
}
