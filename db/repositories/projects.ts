/** Projects: a name, a description and optionally the customer they are for. */
import type { Db } from '../sql';
import { definedOnly } from './customers';
import { type KeysetOrder, type Page, afterCursor, containsText, cursorColumn, toPage } from './pages';

export interface Project {
  id: string;
  name: string;
  description: string;
  customerId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ProjectFields {
  name?: string;
  description?: string;
  customerId?: string | null;
}

const COLUMNS = 'id, name, description, customer_id, created_at, updated_at';
const BY_NAME: KeysetOrder = { column: 'name', cast: 'text' };

export async function listProjects(
  db: Db,
  tenantId: string,
  q: { q?: string; customerId?: string; cursor?: string; limit: number },
): Promise<Page<Project>> {
  const rows = await db<(Project & { pageKey: string[] })[]>`
    SELECT ${db.unsafe(COLUMNS)}, ${cursorColumn(db, BY_NAME, 'p')} FROM projects p
    WHERE p.tenant_id = ${tenantId} AND ${containsText(db, 'p.name', q.q)} AND ${afterCursor(db, BY_NAME, 'p', q.cursor)}
      ${q.customerId ? db`AND p.customer_id = ${q.customerId}` : db``}
    ORDER BY p.name, p.id LIMIT ${q.limit + 1}`;
  return toPage(rows, q.limit);
}

export async function getProject(db: Db, tenantId: string, id: string): Promise<Project | null> {
  const [row] = await db<Project[]>`SELECT ${db.unsafe(COLUMNS)} FROM projects WHERE tenant_id = ${tenantId} AND id = ${id}`;
  return row ?? null;
}

export async function insertProject(db: Db, tenantId: string, fields: ProjectFields & { name: string }): Promise<Project> {
  const [row] = await db<Project[]>`INSERT INTO projects ${db({ tenantId, ...definedOnly(fields) })} RETURNING ${db.unsafe(COLUMNS)}`;
  return row!;
}

export async function updateProject(db: Db, tenantId: string, id: string, patch: ProjectFields): Promise<Project | null> {
  const [row] = await db<Project[]>`
    UPDATE projects SET ${db({ ...definedOnly(patch), updatedAt: db`now()` } as Record<string, unknown>)}
    WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING ${db.unsafe(COLUMNS)}`;
  return row ?? null;
}

/** Deletes the project and its milestones; its tasks stay, without project and milestone. */
export async function deleteProject(db: Db, tenantId: string, id: string): Promise<boolean> {
  const rows = await db`DELETE FROM projects WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING id`;
  return rows.length > 0;
}
