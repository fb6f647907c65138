/**
 * Customers: created by hand, or imported from an FSM's client record (then
 * identified by integration and external id). Every statement is scoped by tenant.
 */
import type { Db } from '../sql';
import { type KeysetOrder, type Page, afterCursor, containsText, cursorColumn, toPage } from './pages';

export interface Customer {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  address: string | null;
  integrationId: string | null;
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CustomerFields {
  name?: string;
  email?: string | null;
  phone?: string | null;
  address?: string | null;
}

const COLUMNS = ['id', 'name', 'email', 'phone', 'address', 'integration_id', 'external_id', 'created_at', 'updated_at'];
/** The columns of a Customer, of the table aliased `alias` (unqualified without one). */
export const customerColumns = (alias?: string) => COLUMNS.map((c) => (alias ? `${alias}.${c}` : c)).join(', ');
const BY_NAME: KeysetOrder = { column: 'name', cast: 'text' };

export async function listCustomers(
  db: Db,
  tenantId: string,
  q: { q?: string; cursor?: string; limit: number },
): Promise<Page<Customer>> {
  const rows = await db<(Customer & { pageKey: string[] })[]>`
    SELECT ${db.unsafe(customerColumns('c'))}, ${cursorColumn(db, BY_NAME, 'c')} FROM customers c
    WHERE c.tenant_id = ${tenantId} AND ${containsText(db, 'c.name', q.q)} AND ${afterCursor(db, BY_NAME, 'c', q.cursor)}
    ORDER BY c.name, c.id LIMIT ${q.limit + 1}`;
  return toPage(rows, q.limit);
}

export async function getCustomer(db: Db, tenantId: string, id: string): Promise<Customer | null> {
  const [row] = await db<Customer[]>`
    SELECT ${db.unsafe(customerColumns('c'))} FROM customers c WHERE c.tenant_id = ${tenantId} AND c.id = ${id}`;
  return row ?? null;
}

export async function insertCustomer(db: Db, tenantId: string, fields: CustomerFields & { name: string }): Promise<Customer> {
  const [row] = await db<Customer[]>`
    INSERT INTO customers ${db({ tenantId, ...definedOnly(fields) })} RETURNING ${db.unsafe(customerColumns())}`;
  return row!;
}

export async function updateCustomer(db: Db, tenantId: string, id: string, patch: CustomerFields): Promise<Customer | null> {
  const [row] = await db<Customer[]>`
    UPDATE customers SET ${db({ ...definedOnly(patch), updatedAt: db`now()` } as Record<string, unknown>)}
    WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING ${db.unsafe(customerColumns())}`;
  return row ?? null;
}

/** Deletes the customer; its tasks, projects and templates keep existing without it. */
export async function deleteCustomer(db: Db, tenantId: string, id: string): Promise<boolean> {
  const rows = await db`DELETE FROM customers WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING id`;
  return rows.length > 0;
}

/**
 * Creates or renames the customers an import names, in one statement; returns
 * the customer id of each external id. For the integrations' job mappers.
 */
export async function upsertImportedCustomers(
  db: Db,
  tenantId: string,
  integrationId: string,
  customers: { externalId: string; name: string }[],
): Promise<Map<string, string>> {
  if (customers.length === 0) return new Map();
  const unique = [...new Map(customers.map((c) => [c.externalId, c])).values()];
  const rows = await db<{ id: string; externalId: string }[]>`
    INSERT INTO customers ${db(unique.map((c) => ({ tenantId, integrationId, externalId: c.externalId, name: c.name })))}
    ON CONFLICT (tenant_id, integration_id, external_id) WHERE integration_id IS NOT NULL
    DO UPDATE SET name = excluded.name,
      updated_at = CASE WHEN customers.name = excluded.name THEN customers.updated_at ELSE now() END
    RETURNING id, external_id`;
  return new Map(rows.map((r) => [r.externalId, r.id]));
}

/** The fields that were given: undefined means "leave as is", null clears. */
export function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}
