/**
 * Keyset pages for the workspace lists (customers, projects, templates,
 * comments): rows come back in (key, id) order, and the cursor is the last
 * row's key and id, so page N costs what page 1 does.
 */
import type { Fragment } from 'postgres';
import type { Db } from '../sql';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A cursor that is not one this list handed out (the task list's too). */
export class InvalidCursorError extends Error {}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A sort key: its column (static SQL, never input) and the cast of its cursor value. */
export interface KeysetOrder {
  column: string;
  cast: 'text' | 'timestamptz';
}

/** `(key, id) > (cursor values)`, or `true` without a cursor. */
export function afterCursor(db: Db, order: KeysetOrder, alias: string, cursor: string | undefined): Fragment {
  if (!cursor) return db`true`;
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = null;
  }
  if (!Array.isArray(values) || values.length !== 2 || typeof values[0] !== 'string' || !UUID.test(String(values[1]))) {
    throw new InvalidCursorError('cursor is not valid for this list; start again without it');
  }
  const [key, id] = values as [string, string];
  return db`(${db.unsafe(`${alias}.${order.column}`)}, ${db.unsafe(alias)}.id) > (${key}::text::${db.unsafe(order.cast)}, ${id}::uuid)`;
}

/** The select-list item that carries a row's cursor values. */
export function cursorColumn(db: Db, order: KeysetOrder, alias: string): Fragment {
  return db.unsafe(`json_build_array(${alias}.${order.column}::text, ${alias}.id::text) AS page_key`);
}

/** Cuts the `limit + 1` rows a page query fetched into the page and its next cursor. */
export function toPage<T extends { pageKey: string[] }>(rows: readonly T[], limit: number): Page<Omit<T, 'pageKey'>> {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ pageKey: _key, ...item }) => item),
    nextCursor: rows.length > limit && last ? Buffer.from(JSON.stringify(last.pageKey)).toString('base64url') : null,
  };
}

/** `column ILIKE %q%` with q's wildcards taken literally. */
export function containsText(db: Db, column: string, q: string | undefined): Fragment {
  if (!q) return db`true`;
  return db`${db.unsafe(column)} ILIKE ${`%${q.replace(/[\\%_]/g, '\\$&')}%`}`;
}
