/**
 * Task counts by status for the embedding views (customer, project and
 * milestone details), counting only the tasks the viewer may see.
 */
import type { Principal } from '../../domain/principal';
import type { TaskStatus } from '../../domain/task';
import type { Db } from '../sql';
import { type TabCounts, countsByTab, visibleTo } from './tasks';

const CONTEXT_COLUMNS = { customer: 't.customer_id', project: 't.project_id', milestone: 't.milestone_id' } as const;

/** Counts per status tab of the tasks whose customer, project or milestone is one of `ids`. */
export async function countTasksIn(db: Db, p: Principal, context: keyof typeof CONTEXT_COLUMNS, ids: string[]): Promise<TabCounts> {
  const rows = await db<{ status: TaskStatus; n: number }[]>`
    SELECT t.status, count(*)::int AS n FROM tasks t
    WHERE t.tenant_id = ${p.tenantId} AND ${db.unsafe(CONTEXT_COLUMNS[context])} = ANY(${ids}::uuid[]) AND ${visibleTo(db, p)}
    GROUP BY t.status`;
  return countsByTab(rows);
}
