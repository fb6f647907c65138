/** Milestones of a project: a name and a due date (a calendar date). */
import type { Db } from '../sql';
import { definedOnly } from './customers';

export interface Milestone {
  id: string;
  projectId: string;
  name: string;
  dueDate: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface MilestoneFields {
  name?: string;
  dueDate?: string | null;
}

// The date as text: a JS Date would move it to the server's midnight.
const COLUMNS = "id, project_id, name, to_char(due_date, 'YYYY-MM-DD') AS due_date, created_at, updated_at";

/** A project's milestones, the next due first, undated last. */
export async function listMilestones(db: Db, tenantId: string, projectId: string): Promise<Milestone[]> {
  return db<Milestone[]>`
    SELECT ${db.unsafe(COLUMNS)} FROM milestones WHERE tenant_id = ${tenantId} AND project_id = ${projectId}
    ORDER BY due_date NULLS LAST, name, id`;
}

export async function getMilestone(db: Db, tenantId: string, id: string): Promise<Milestone | null> {
  const [row] = await db<Milestone[]>`SELECT ${db.unsafe(COLUMNS)} FROM milestones WHERE tenant_id = ${tenantId} AND id = ${id}`;
  return row ?? null;
}

/** The project of each of the given milestones that exists in the tenant. */
export async function milestoneProjects(db: Db, tenantId: string, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db<{ id: string; projectId: string }[]>`
    SELECT id, project_id FROM milestones WHERE tenant_id = ${tenantId} AND id = ANY(${[...new Set(ids)]}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r.projectId]));
}

export async function insertMilestone(
  db: Db,
  tenantId: string,
  projectId: string,
  fields: MilestoneFields & { name: string },
): Promise<Milestone> {
  const [row] = await db<Milestone[]>`
    INSERT INTO milestones ${db({ tenantId, projectId, ...definedOnly(fields) })} RETURNING ${db.unsafe(COLUMNS)}`;
  return row!;
}

export async function updateMilestone(db: Db, tenantId: string, id: string, patch: MilestoneFields): Promise<Milestone | null> {
  const [row] = await db<Milestone[]>`
    UPDATE milestones SET ${db({ ...definedOnly(patch), updatedAt: db`now()` } as Record<string, unknown>)}
    WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING ${db.unsafe(COLUMNS)}`;
  return row ?? null;
}

/** Deletes the milestone; its tasks stay in the project, without a milestone. */
export async function deleteMilestone(db: Db, tenantId: string, id: string): Promise<boolean> {
  const rows = await db`DELETE FROM milestones WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING id`;
  return rows.length > 0;
}
