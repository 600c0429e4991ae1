/**
 * Reading a mastered disc's MANIFEST.json back from its ISO for the clerk page. The ISO may be
 * gone (cleaned up after burning): that is an expected state, not an error.
 */
import { parseManifest, type Manifest } from '../disc/manifest.ts';
import { isPatchdiscError } from '../errors.ts';
import { openIso } from '../iso/read-iso.ts';

/** A manifest larger than this is not one patchdisc wrote; stop reading instead of filling memory. */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;
const MANIFEST_PATH = 'MANIFEST.json';

export type DiscManifestResult =
  | { state: 'ok'; manifest: Manifest }
  | { state: 'missing' }
  | { state: 'unreadable'; message: string };

/** The manifest on the ISO at `isoPath`: ok, missing (no such file), or unreadable (with why). */
export async function readDiscManifest(isoPath: string): Promise<DiscManifestResult> {
  let iso;
  try {
    iso = await openIso(isoPath);
  } catch (err) {
    if (isPatchdiscError(err, 'NOT_FOUND')) return { state: 'missing' };
    return { state: 'unreadable', message: (err as Error).message };
  }
  try {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of iso.createReadStream(MANIFEST_PATH)) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > MAX_MANIFEST_BYTES) {
        return { state: 'unreadable', message: `Cannot read ${MANIFEST_PATH} from ${isoPath}: larger than ${MAX_MANIFEST_BYTES} bytes` };
      }
      chunks.push(buf);
    }
    return { state: 'ok', manifest: parseManifest(Buffer.concat(chunks)) };
  } catch (err) {
    return { state: 'unreadable', message: (err as Error).message };
  } finally {
    await iso.close();
  }
}
