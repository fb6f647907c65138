/**
 * The tenant's settings, and the due-date arithmetic that depends on its
 * time zone: date-only due dates and template due offsets.
 */
import type { DueOffset } from '../../domain/due-offset';
import { LIVE_STATUSES } from '../../domain/task';
import type { Db } from '../sql';

export interface Tenant {
  id: string;
  name: string;
  timeZone: string;
  createdAt: Date;
}

const COLUMNS = 'id, name, time_zone, created_at';
const LIVE = new Set<string>(LIVE_STATUSES);

export async function getTenant(db: Db, id: string): Promise<Tenant | null> {
  const [row] = await db<Tenant[]>`SELECT ${db.unsafe(COLUMNS)} FROM tenants WHERE id = ${id}`;
  return row ?? null;
}

/** Whether PostgreSQL knows the zone (its tz database may differ from Node's). */
export async function isKnownTimeZone(db: Db, timeZone: string): Promise<boolean> {
  const [row] = await db<{ known: boolean }[]>`SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = ${timeZone}) AS known`;
  return row!.known;
}

/**
 * Renames the tenant or changes its zone. A new zone moves the tasks'
 * date-only due dates to the new zone's midnight, so they still fall on
 * their date; returns the live tasks moved, whose overdue timers must follow.
 * Run it in a transaction.
 */
export async function updateTenant(
  db: Db,
  id: string,
  patch: { name?: string; timeZone?: string },
): Promise<{ tenant: Tenant; moved: { id: string; dueAt: Date }[] } | null> {
  const columns = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const [tenant] = Object.keys(columns).length
    ? await db<Tenant[]>`UPDATE tenants SET ${db(columns)} WHERE id = ${id} RETURNING ${db.unsafe(COLUMNS)}`
    : await db<Tenant[]>`SELECT ${db.unsafe(COLUMNS)} FROM tenants WHERE id = ${id}`;
  if (!tenant) return null;
  if (!patch.timeZone) return { tenant, moved: [] };
  const endOfDate = db`(due_date + 1)::timestamp AT TIME ZONE ${tenant.timeZone}`;
  const moved = await db<{ id: string; dueAt: Date; status: string }[]>`
    UPDATE tasks SET due_at = ${endOfDate}, updated_at = now()
    WHERE tenant_id = ${id} AND due_date IS NOT NULL AND due_at <> ${endOfDate}
    RETURNING id, due_at, status`;
  return { tenant, moved: moved.filter((t) => LIVE.has(t.status)).map(({ id: taskId, dueAt }) => ({ id: taskId, dueAt })) };
}

/** For each date, the instant it ends in the tenant's zone: the start of the next day. */
export async function endsOfDates(db: Db, tenantId: string, dates: string[]): Promise<Map<string, Date>> {
  if (dates.length === 0) return new Map();
  const rows = await db<{ date: string; endsAt: Date }[]>`
    SELECT to_char(d, 'YYYY-MM-DD') AS date, (d + 1)::timestamp AT TIME ZONE t.time_zone AS ends_at
    FROM unnest(${[...new Set(dates)]}::date[]) AS d, tenants t WHERE t.id = ${tenantId}`;
  return new Map(rows.map((r) => [r.date, r.endsAt]));
}

/**
 * Now (or `from`) plus the offset: months and days are added to the tenant's
 * wall clock (so "+1 day" is a calendar day across a DST change), hours and
 * minutes to the instant.
 */
export async function nowPlus(db: Db, tenantId: string, o: DueOffset, from?: string): Promise<Date> {
  const start = from === undefined ? db`now()` : db`${from}::timestamptz`;
  const [row] = await db<{ at: Date }[]>`
    SELECT ((${start} AT TIME ZONE time_zone) + make_interval(months => ${o.months}, days => ${o.days})) AT TIME ZONE time_zone
           + make_interval(hours => ${o.hours}, mins => ${o.minutes}) AS at
    FROM tenants WHERE id = ${tenantId}`;
  return row!.at;
}
