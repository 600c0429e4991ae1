import cliProgress from 'cli-progress';
import type { BuildEvents } from '../pipeline/build-context.ts';

/**
 * Progress bars for downloads and mastering on a TTY (stderr); undefined when not a TTY, so cron gets
 * plain lines instead.
 */
export function ttyProgress(isTTY: boolean): { events: Partial<BuildEvents>; stop: () => void } | undefined {
  if (!isTTY) return undefined;
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      clearOnComplete: false,
      hideCursor: true,
      format: ' {label} [{bar}] {percentage}% | {value}/{total} {unit} | {detail}',
      formatValue: (v, _o, type) => (type === 'value' || type === 'total' ? (v / 1e6).toFixed(1) : String(v)),
    },
    cliProgress.Presets.shades_classic,
  );
  let download: cliProgress.SingleBar | undefined;
  const started = Date.now();
  let master: cliProgress.SingleBar | undefined;
  let masterIso = '';
  return {
    events: {
      downloadProgress: (p) => {
        download ??= multi.create(Math.max(p.total, 1), 0, { label: 'download', unit: 'MB', detail: '' });
        const secs = (Date.now() - started) / 1000;
        const rate = secs > 0 ? p.received / secs : 0;
        const eta = rate > 0 && p.total > p.received ? Math.round((p.total - p.received) / rate) : 0;
        download.setTotal(Math.max(p.total, p.received, 1));
        download.update(p.received, { detail: `${p.files}/${p.filesTotal} files, ${(rate / 1e6).toFixed(1)} MB/s, ETA ${eta}s` });
      },
      masterProgress: (p) => {
        if (p.iso !== masterIso) {
          master?.stop();
          master = multi.create(Math.max(p.total, 1), 0, { label: 'master  ', unit: 'MB', detail: p.iso.split('/').pop() ?? '' });
          masterIso = p.iso;
        }
        master?.update(p.written);
      },
    },
    stop: () => multi.stop(),
  };
}
