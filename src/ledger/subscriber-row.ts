/**
 * The Subscriber as callers see it, and its mapping from rows of subscribers + subscriptions.
 */
import type { Kysely } from 'kysely';
import type { Medium } from '../config/pipeline-schema.ts';
import type { Database, SubscribersTable } from './schema.ts';

export interface Subscriber {
  id: number;
  code: string;
  name: string;
  organisation: string;
  contact: string;
  phone: string;
  email: string;
  province: string;
  city: string;
  district: string;
  street: string;
  postcode: string;
  medium: Medium;
  copies: number;
  /** First and last day of service, `YYYY-MM-DD`, both inclusive. */
  serviceStart: string;
  serviceEnd: string;
  pricePlan: string;
  notes: string;
  suspended: boolean;
  /** Pipeline names subscribed to, sorted. */
  pipelines: string[];
}

export type SubscriberRow = Omit<SubscribersTable, 'id'> & { id: number };

/** Maps a subscribers row and its pipelines to a Subscriber. */
export function toSubscriber(r: SubscriberRow, pipelines: string[]): Subscriber {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    organisation: r.organisation,
    contact: r.contact,
    phone: r.phone,
    email: r.email,
    province: r.province,
    city: r.city,
    district: r.district,
    street: r.street,
    postcode: r.postcode,
    medium: r.medium as Medium,
    copies: r.copies,
    serviceStart: r.service_start,
    serviceEnd: r.service_end,
    pricePlan: r.price_plan,
    notes: r.notes,
    suspended: r.suspended === 1,
    pipelines,
  };
}

/** Attaches each row's pipelines (one query per 500 subscribers) and maps the rows, keeping their order. */
export async function withPipelines(db: Kysely<Database>, rows: SubscriberRow[]): Promise<Subscriber[]> {
  const byId = new Map<number, string[]>();
  for (let i = 0; i < rows.length; i += 500) {
    const ids = rows.slice(i, i + 500).map((r) => r.id);
    const subs = await db
      .selectFrom('subscriptions')
      .select(['subscriber_id', 'pipeline'])
      .where('subscriber_id', 'in', ids)
      .orderBy('pipeline')
      .execute();
    for (const s of subs) {
      const list = byId.get(s.subscriber_id) ?? [];
      list.push(s.pipeline);
      byId.set(s.subscriber_id, list);
    }
  }
  return rows.map((r) => toSubscriber(r, byId.get(r.id) ?? []));
}
