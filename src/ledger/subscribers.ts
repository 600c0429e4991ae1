/**
 * Subscribers as the clerk manages them: add, edit, look up, list, suspend, and who is about to
 * expire. Every change leaves a line in subscriber_events.
 */
import { sql, type Kysely } from 'kysely';
import { PatchdiscError } from '../errors.ts';
import type { Ledger } from './open-ledger.ts';
import type { Database } from './schema.ts';
import { withPipelines, type Subscriber } from './subscriber-row.ts';
import { describeIssues, validateSubscriber, type SubscriberInput, type SubscriberValues } from './subscriber-input.ts';
import { addDays } from './week-date.ts';
import { writeTransaction } from './write-transaction.ts';

export interface ChangeContext {
  knownPipelines: readonly string[];
  now: Date;
  actor?: string;
}

function invalid(action: string, issues: { field: string; message: string }[]): PatchdiscError {
  return new PatchdiscError('VALIDATION', `Cannot ${action}: ${describeIssues(issues)}`, { details: { issues } });
}

function columns(v: SubscriberValues) {
  return {
    code: v.code,
    name: v.name,
    organisation: v.organisation,
    contact: v.contact,
    phone: v.phone,
    email: v.email,
    province: v.province,
    city: v.city,
    district: v.district,
    street: v.street,
    postcode: v.postcode,
    medium: v.medium,
    copies: v.copies,
    service_start: v.serviceStart,
    service_end: v.serviceEnd,
    price_plan: v.pricePlan,
    notes: v.notes,
    suspended: v.suspended ? 1 : 0,
  };
}

/** Inserts or updates (by code) a validated subscriber and its subscriptions inside `trx`; returns its id. */
export async function saveSubscriberIn(
  trx: Kysely<Database>,
  v: SubscriberValues,
  o: { existingId?: number; at: string; actor: string; action: string; detail?: string },
): Promise<number> {
  let id: number;
  if (o.existingId === undefined) {
    const row = await trx.insertInto('subscribers').values({ ...columns(v), created_at: o.at }).returning('id').executeTakeFirstOrThrow();
    id = row.id;
  } else {
    id = o.existingId;
    await trx.updateTable('subscribers').set(columns(v)).where('id', '=', id).execute();
    await trx.deleteFrom('subscriptions').where('subscriber_id', '=', id).execute();
  }
  if (v.pipelines.length > 0) {
    await trx.insertInto('subscriptions').values(v.pipelines.map((pipeline) => ({ subscriber_id: id, pipeline }))).execute();
  }
  await trx.insertInto('subscriber_events').values({ subscriber_id: id, at: o.at, actor: o.actor, action: o.action, detail: o.detail ?? '' }).execute();
  return id;
}

/** Adds a subscriber. Throws VALIDATION listing every problem, including a code already in use. */
export async function addSubscriber(ledger: Ledger, input: SubscriberInput, ctx: ChangeContext): Promise<Subscriber> {
  const label = `add subscriber ${typeof input.code === 'string' ? input.code : ''}`.trimEnd();
  const checked = validateSubscriber(input, ctx.knownPipelines);
  if (!checked.ok) throw invalid(label, checked.issues);
  const v = checked.value;
  await writeTransaction(ledger, async (trx) => {
    const taken = await trx.selectFrom('subscribers').select('id').where('code', '=', v.code).executeTakeFirst();
    if (taken) throw invalid(label, [{ field: 'code', message: `${v.code} is already in use` }]);
    await saveSubscriberIn(trx, v, { at: ctx.now.toISOString(), actor: ctx.actor ?? 'clerk', action: 'add' });
  });
  return (await getSubscriber(ledger, v.code)) as Subscriber;
}

/** Changes fields of subscriber `code` (the code itself cannot change). Throws NOT_FOUND or VALIDATION. */
export async function editSubscriber(
  ledger: Ledger,
  code: string,
  patch: Partial<Omit<SubscriberInput, 'code'>>,
  ctx: ChangeContext,
): Promise<Subscriber> {
  const current = await getSubscriber(ledger, code);
  if (!current) throw notFound(code, 'edit');
  const { id: _id, ...fields } = current;
  const merged = { ...fields, ...patch, code };
  const checked = validateSubscriber(merged, ctx.knownPipelines, current.pipelines);
  if (!checked.ok) throw invalid(`edit subscriber ${code}`, checked.issues);
  const changed = Object.keys(patch).filter((k) => JSON.stringify((current as unknown as Record<string, unknown>)[k]) !== JSON.stringify((checked.value as Record<string, unknown>)[k]));
  await writeTransaction(ledger, (trx) =>
    saveSubscriberIn(trx, checked.value, { existingId: current.id, at: ctx.now.toISOString(), actor: ctx.actor ?? 'clerk', action: 'edit', detail: changed.join(',') }),
  );
  return (await getSubscriber(ledger, code)) as Subscriber;
}

/** Subscriber `code`, or undefined. */
export async function getSubscriber(ledger: Ledger, code: string): Promise<Subscriber | undefined> {
  const row = await ledger.db.selectFrom('subscribers').selectAll().where('code', '=', code).executeTakeFirst();
  if (!row) return undefined;
  const [s] = await withPipelines(ledger.db, [row]);
  return s;
}

/**
 * Subscribers ordered by code. `search` matches code, name, organisation or contact (substring,
 * case-insensitive for ASCII); `pipeline` keeps its subscribers; suspended ones are included unless
 * `includeSuspended` is false.
 */
export async function listSubscribers(
  ledger: Ledger,
  opts: { search?: string; pipeline?: string; includeSuspended?: boolean; limit?: number; offset?: number } = {},
): Promise<Subscriber[]> {
  let q = ledger.db.selectFrom('subscribers as s').selectAll('s').orderBy('s.code');
  if (opts.search !== undefined && opts.search !== '') {
    // LIKE wildcards in the search text are escaped so they match literally.
    const pattern = `%${opts.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or(
        (['s.code', 's.name', 's.organisation', 's.contact'] as const).map(
          (c) => sql<boolean>`${sql.ref(c)} LIKE ${pattern} ESCAPE '\\'`,
        ),
      ),
    );
  }
  if (opts.pipeline !== undefined) {
    const pipeline = opts.pipeline;
    q = q.where((eb) =>
      eb.exists(eb.selectFrom('subscriptions as p').select('p.pipeline').whereRef('p.subscriber_id', '=', 's.id').where('p.pipeline', '=', pipeline)),
    );
  }
  if (opts.includeSuspended === false) q = q.where('s.suspended', '=', 0);
  const rows = await q.limit(opts.limit ?? 1000).offset(opts.offset ?? 0).execute();
  return withPipelines(ledger.db, rows);
}

/** Suspends (true) or resumes (false) subscriber `code`: a suspended subscriber gets no discs. */
export async function setSuspended(ledger: Ledger, code: string, suspended: boolean, actor: string, now: Date): Promise<void> {
  await writeTransaction(ledger, async (trx) => {
    const row = await trx.selectFrom('subscribers').select(['id', 'suspended']).where('code', '=', code).executeTakeFirst();
    if (!row) throw notFound(code, suspended ? 'suspend' : 'resume');
    if ((row.suspended === 1) === suspended) return;
    await trx.updateTable('subscribers').set({ suspended: suspended ? 1 : 0 }).where('id', '=', row.id).execute();
    await trx
      .insertInto('subscriber_events')
      .values({ subscriber_id: row.id, at: now.toISOString(), actor, action: suspended ? 'suspend' : 'resume', detail: '' })
      .execute();
  });
}

/** Subscribers not suspended whose service ends within `withinDays` days from `date` (inclusive), soonest first. */
export async function expiringSubscribers(ledger: Ledger, opts: { date: string; withinDays?: number }): Promise<Subscriber[]> {
  const until = addDays(opts.date, opts.withinDays ?? 30);
  const rows = await ledger.db
    .selectFrom('subscribers')
    .selectAll()
    .where('suspended', '=', 0)
    .where('service_end', '>=', opts.date)
    .where('service_end', '<=', until)
    .orderBy('service_end')
    .orderBy('code')
    .execute();
  return withPipelines(ledger.db, rows);
}

function notFound(code: string, action: string): PatchdiscError {
  return new PatchdiscError('NOT_FOUND', `Cannot ${action} subscriber ${code}: no such subscriber; check the code with "patchdisc subscribers list"`, {
    details: { code },
  });
}
