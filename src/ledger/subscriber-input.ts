/**
 * Validation of subscriber data typed by the clerk or imported from CSV (zod), with every problem
 * reported by field.
 */
import { z } from 'zod';
import { MEDIA } from '../config/pipeline-schema.ts';
import { isIsoDate } from './week-date.ts';

export const SUBSCRIBER_CODE = /^[A-Z0-9][A-Z0-9-]{1,31}$/;
/** Mainland mobile (1[3-9] + 9 digits) or landline (0 + area code, 7–8 digits, optional extension), optional +86. */
const PHONE = /^(?:\+86[ -]?)?(?:1[3-9]\d{9}|0\d{2,3}[ -]?\d{7,8}(?:-\d{1,6})?)$/;
const POSTCODE = /^\d{6}$/;

const date = z.string().refine(isIsoDate, 'a date YYYY-MM-DD');
const text = (max: number) => z.string().trim().min(1, 'required').max(max);

export const subscriberInputSchema = z
  .strictObject({
    code: z.string().regex(SUBSCRIBER_CODE, '2–32 characters A-Z, 0-9 and -, starting with a letter or digit'),
    name: text(200),
    organisation: text(200),
    contact: text(100),
    phone: z.string().trim().regex(PHONE, 'a mainland phone number such as 13800138000 or 010-62345678'),
    email: z.union([z.literal(''), z.email('an e-mail address')]).default(''),
    province: text(50),
    city: text(50),
    district: z.string().trim().max(50).default(''),
    street: text(300),
    postcode: z.string().trim().regex(POSTCODE, 'a 6-digit postcode'),
    medium: z.enum(MEDIA),
    copies: z.number().int().min(1).max(100).default(1),
    serviceStart: date,
    serviceEnd: date,
    pricePlan: z.string().trim().min(1).max(50).default('standard'),
    notes: z.string().max(2000).default(''),
    suspended: z.boolean().default(false),
    pipelines: z.array(z.string()).default([]),
  })
  .refine((s) => s.serviceEnd >= s.serviceStart, { message: 'the service end is before its start', path: ['serviceEnd'] });

export type SubscriberInput = z.input<typeof subscriberInputSchema>;
export type SubscriberValues = z.output<typeof subscriberInputSchema>;

export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * Validates `input`. Pipelines must be in `knownPipelines`, except those in `keepPipelines` (already
 * stored for this subscriber, so a pipeline removed from the configuration does not block an edit).
 */
export function validateSubscriber(
  input: unknown,
  knownPipelines: readonly string[],
  keepPipelines: readonly string[] = [],
): { ok: true; value: SubscriberValues } | { ok: false; issues: FieldIssue[] } {
  const parsed = subscriberInputSchema.safeParse(input);
  const issues: FieldIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'subscriber', message: i.message }));
  const raw = (input as { pipelines?: unknown } | null)?.pipelines;
  const pipelines = parsed.success ? parsed.data.pipelines : Array.isArray(raw) ? raw.filter((p): p is string => typeof p === 'string') : [];
  for (const p of pipelines) {
    if (!knownPipelines.includes(p) && !keepPipelines.includes(p)) {
      issues.push({ field: 'pipelines', message: `unknown pipeline "${p}" (known: ${knownPipelines.join(', ') || 'none'})` });
    }
  }
  if (parsed.success && issues.length === 0) {
    return { ok: true, value: { ...parsed.data, pipelines: [...new Set(pipelines)].sort() } };
  }
  return { ok: false, issues };
}

/** One line for a message: "phone: …; postcode: …". */
export function describeIssues(issues: readonly FieldIssue[]): string {
  return issues.map((i) => `${i.field}: ${i.message}`).join('; ');
}
