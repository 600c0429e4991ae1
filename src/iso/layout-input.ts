/**
 * What planIsoLayout checks before planning: each input's size, date and source, and the volume
 * descriptor texts (ECMA-119 7.4 a-characters, with the field lengths of 8.4).
 */
import { PatchdiscError } from '../errors.ts';
import { SHORT_DATE_LENGTH, writeShortDate } from './iso-date.ts';
import type { IsoFileInput, IsoLayout, IsoOptions } from './layout.ts';

export function checkInput(f: IsoFileInput): void {
  if (!Number.isSafeInteger(f.size) || f.size < 0) {
    throw new PatchdiscError('VALIDATION', `Cannot place ${JSON.stringify(f.path)} on the disc: size ${f.size} is not a byte count`, { details: { path: f.path } });
  }
  if (f.mtime !== undefined) writeShortDate(new Uint8Array(SHORT_DATE_LENGTH), 0, f.mtime);
  if (f.tail === true && f.source.kind !== 'buffer') {
    throw new PatchdiscError('VALIDATION', `Cannot place ${JSON.stringify(f.path)} in the tail: tail files are written from memory, give its bytes as a buffer`, { details: { path: f.path } });
  }
  if (f.source.kind === 'buffer' && f.source.data.length !== f.size) {
    throw new PatchdiscError('SIZE_MISMATCH', `Cannot place ${JSON.stringify(f.path)} on the disc: declared ${f.size} bytes, buffer holds ${f.source.data.length}`, {
      details: { path: f.path, expected: f.size, actual: f.source.data.length },
    });
  }
}

const A_CHARACTERS = /^[A-Z0-9_ !"%&'()*+,\-./:;<=>?]*$/;

export function resolveOptions(o: IsoOptions): Pick<IsoLayout, 'volumeId' | 'jolietVolumeId' | 'systemId' | 'publisher' | 'application' | 'date'> {
  if (!/^[A-Z0-9_]{1,32}$/.test(o.volumeId)) {
    throw new PatchdiscError('NAME_INVALID', `Cannot use volume id ${JSON.stringify(o.volumeId)}: it must be 1-32 characters A-Z, 0-9 or _`, { details: { volumeId: o.volumeId } });
  }
  // The PVD holds a-characters (upper-cased there); the Joliet SVD keeps the text as given in UCS-2,
  // so a 128-byte field holds 64 characters and the 32-byte system id 16.
  const text = (value: string, field: string, max: number): string => {
    if (!A_CHARACTERS.test(value.toUpperCase()) || value.length > max) {
      throw new PatchdiscError('VALIDATION', `Cannot use ${field} ${JSON.stringify(value)}: use at most ${max} characters A-Z, 0-9, space or !"%&'()*+,-./:;<=>?_`, { details: { [field]: value } });
    }
    return value;
  };
  writeShortDate(new Uint8Array(SHORT_DATE_LENGTH), 0, o.date);
  return {
    volumeId: o.volumeId,
    jolietVolumeId: o.volumeId.slice(0, 16),
    systemId: text(o.systemId ?? '', 'system id', 16),
    publisher: text(o.publisher ?? '', 'publisher', 64),
    application: text(o.application ?? 'PATCHDISC', 'application', 64),
    date: o.date,
  };
}
