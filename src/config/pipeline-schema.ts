import { z } from 'zod';

/** Media a disc set can be mastered to. Capacities live in iso/media. */
export const MEDIA = ['cd', 'dvd', 'dvd-dl', 'bd25', 'bd50'] as const;
export type Medium = (typeof MEDIA)[number];

const kb = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).replace(/^KB/i, ''))
  .pipe(z.string().regex(/^\d{4,8}$/, 'a KB number such as 5034441 or KB5034441'));

/** A pipeline file, pipelines/<name>.yaml. */
export const pipelineSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lowercase letters, digits and dashes'),
    title: z.string().min(1),
    /** Product names (as in the catalog) or category GUIDs. */
    products: z.array(z.string().min(1)).min(1),
    /** e.g. x64, x86, arm64; empty = all. Matched against update titles and file names. */
    architectures: z.array(z.enum(['x64', 'x86', 'arm64'])).default([]),
    /** e.g. en-us, zh-cn; empty = language-neutral and all languages. */
    languages: z.array(z.string()).default([]),
    /** Classification names or GUIDs; empty = all. */
    classifications: z.array(z.string()).default([]),
    includeKbs: z.array(kb).default([]),
    excludeKbs: z.array(kb).default([]),
    medium: z.enum(MEDIA).default('dvd'),
    labelPrefix: z
      .string()
      .regex(/^[A-Z0-9_]{1,16}$/, 'up to 16 characters A-Z, 0-9, _')
      .default('PATCHDISC'),
    content: z.enum(['delta', 'full']).default('delta'),
    quietWeek: z.enum(['ship', 'skip']).default('ship'),
  })
  .strict();

export type PipelineDefinition = z.infer<typeof pipelineSchema>;
