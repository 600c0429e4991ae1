import { z } from 'zod';
import { MEDIA } from './pipeline-schema.ts';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');

/** One price in integer fen (CNY), in force from `effectiveFrom`. */
export const priceSchema = z
  .object({
    kind: z.enum(['disc', 'postage']),
    medium: z.enum(MEDIA).optional(),
    fen: z.number().int().nonnegative(),
    effectiveFrom: isoDate,
  })
  .strict()
  .refine((p) => (p.kind === 'disc') === (p.medium !== undefined), {
    message: 'a disc price names its medium; a postage price names none',
  });

/** `patchdisc.yaml` in the data dir. Every key has a default, so an empty file is valid. */
export const appConfigSchema = z
  .object({
    vendor: z.string().min(1).default('patchdisc vendor'),
    upstream: z
      .object({
        wsusscn2Url: z
          .string()
          .url()
          .default('http://download.windowsupdate.com/microsoftupdate/v6/wsusscan/wsusscn2.cab'),
        updateCatalogUrl: z.string().url().default('https://www.catalog.update.microsoft.com'),
        cvrfUrl: z.string().url().default('https://api.msrc.microsoft.com/cvrf/v3.0'),
      })
      .strict()
      .prefault({}),
    /** Hosts allowed for downloads besides Microsoft's ("host" or "host:port"), e.g. a mirror. */
    allowHosts: z.array(z.string().min(1)).default([]),
    /**
     * Download hosts served by a mirror: `download.windowsupdate.com: http://mirror.lan:8080`. The catalog's
     * URL stays the source URL on the disc; the bytes come from the mirror, SHA-1 checked as always.
     */
    mirrors: z.record(z.string().min(1), z.string().url()).default({}),
    /** Proxy URL for all requests; when absent HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply. */
    proxy: z.string().url().optional(),
    signing: z
      .object({
        /** Private key and certificate paths; when absent, the active key `keys generate` recorded. */
        key: z.string().optional(),
        certificate: z.string().optional(),
        /** Only for the demo: the passphrase in clear. Real sites use PATCHDISC_KEY_PASSPHRASE. */
        demoPassphrase: z.string().optional(),
      })
      .strict()
      .prefault({}),
    timeZone: z.string().default('Asia/Shanghai'),
    schedule: z
      .object({
        cron: z.string().default('0 2 * * 1'),
        webhook: z.string().url().optional(),
      })
      .strict()
      .prefault({}),
    prices: z.array(priceSchema).default([]),
    master: z
      .object({
        /**
         * A further subscriber's disc of content another subscriber's disc already holds: 'auto' a
         * reflink clone of that master where the filesystem can (btrfs, XFS), else a thin image
         * (<volume>.iso.thin: the master plus its own tail; `patchdisc iso export` writes the .iso);
         * 'copy' always a full .iso (a byte copy where no reflink); 'thin' always a thin image.
         */
        share: z.enum(['auto', 'copy', 'thin']).default('auto'),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({ keepWeeks: z.number().int().positive().default(12) })
      .strict()
      .prefault({}),
    /** Where pipeline files live; relative paths are taken from the data dir. */
    pipelinesDir: z.string().default('pipelines'),
    /** A disc expires this many weeks after its week starts. */
    expiresWeeks: z.number().int().min(1).max(52).default(5),
    download: z
      .object({
        concurrency: z.number().int().min(1).max(32).default(4),
        perHost: z.number().int().min(1).max(32).default(4),
        retries: z.number().int().min(0).max(20).default(5),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AppConfig = z.infer<typeof appConfigSchema>;
export type PriceEntry = z.infer<typeof priceSchema>;
