/**
 * Links between customer records (a parent company and its sites). A link
 * is symmetric and stored once, smaller id first; every read looks both ways.
 */
import type { Fragment } from 'postgres';
import type { Db } from '../sql';
import { type Customer, customerColumns } from './customers';

export type LinkedCustomer = Customer & { linkedAt: Date };

/** The stored order: lower-case hex compares as PostgreSQL compares uuids. */
function ordered(id: string, otherId: string): [string, string] {
  const [a, b] = [id.toLowerCase(), otherId.toLowerCase()];
  return a < b ? [a, b] : [b, a];
}

/** A subquery of the customer and the customers linked to it (one hop). */
export function customerAndLinkedIds(db: Db, tenantId: string, id: string): Fragment {
  return db`(
    SELECT ${id}::uuid
    UNION ALL SELECT customer_b FROM customer_links WHERE tenant_id = ${tenantId} AND customer_a = ${id}
    UNION ALL SELECT customer_a FROM customer_links WHERE tenant_id = ${tenantId} AND customer_b = ${id})`;
}

export async function listLinkedCustomers(db: Db, tenantId: string, id: string): Promise<LinkedCustomer[]> {
  return db<LinkedCustomer[]>`
    SELECT ${db.unsafe(customerColumns('c'))}, l.created_at AS linked_at
    FROM customer_links l
    JOIN customers c ON c.tenant_id = l.tenant_id AND c.id = CASE WHEN l.customer_a = ${id} THEN l.customer_b ELSE l.customer_a END
    WHERE l.tenant_id = ${tenantId} AND (l.customer_a = ${id} OR l.customer_b = ${id})
    ORDER BY c.name, c.id`;
}

/** Links two customers; false when they already were. */
export async function linkCustomers(db: Db, tenantId: string, id: string, otherId: string): Promise<boolean> {
  const [a, b] = ordered(id, otherId);
  const rows = await db`
    INSERT INTO customer_links (tenant_id, customer_a, customer_b) VALUES (${tenantId}, ${a}, ${b})
    ON CONFLICT DO NOTHING RETURNING customer_a`;
  return rows.length > 0;
}

export async function unlinkCustomers(db: Db, tenantId: string, id: string, otherId: string): Promise<boolean> {
  const [a, b] = ordered(id, otherId);
  const rows = await db`
    DELETE FROM customer_links WHERE tenant_id = ${tenantId} AND customer_a = ${a} AND customer_b = ${b} RETURNING customer_a`;
  return rows.length > 0;
}
