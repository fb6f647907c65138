/** Comments on a task: the conversation around it, oldest first. */
import type { Db } from '../sql';
import { type KeysetOrder, type Page, afterCursor, cursorColumn, toPage } from './pages';

export interface TaskComment {
  id: string;
  taskId: string;
  body: string;
  /** null once the author's user is deleted. */
  author: { id: string; name: string } | null;
  createdAt: Date;
  editedAt: Date | null;
}

const OLDEST_FIRST: KeysetOrder = { column: 'created_at', cast: 'timestamptz' };

const columns = (db: Db) => db`
  c.id, c.task_id, c.body, c.created_at, c.edited_at,
  CASE WHEN u.id IS NULL THEN NULL ELSE json_build_object('id', u.id, 'name', u.name) END AS author`;

export async function listComments(
  db: Db,
  tenantId: string,
  taskId: string,
  q: { cursor?: string; limit: number },
): Promise<Page<TaskComment>> {
  const rows = await db<(TaskComment & { pageKey: string[] })[]>`
    SELECT ${columns(db)}, ${cursorColumn(db, OLDEST_FIRST, 'c')}
    FROM task_comments c LEFT JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.author_id
    WHERE c.tenant_id = ${tenantId} AND c.task_id = ${taskId} AND ${afterCursor(db, OLDEST_FIRST, 'c', q.cursor)}
    ORDER BY c.created_at, c.id LIMIT ${q.limit + 1}`;
  return toPage(rows, q.limit);
}

export async function getComment(db: Db, tenantId: string, taskId: string, id: string): Promise<TaskComment | null> {
  const [row] = await db<TaskComment[]>`
    SELECT ${columns(db)}
    FROM task_comments c LEFT JOIN users u ON u.tenant_id = c.tenant_id AND u.id = c.author_id
    WHERE c.tenant_id = ${tenantId} AND c.task_id = ${taskId} AND c.id = ${id}`;
  return row ?? null;
}

/** The id comes from the caller, so the comment's task event can name it in the same transaction. */
export async function insertComment(db: Db, tenantId: string, taskId: string, c: { id: string; authorId: string; body: string }): Promise<void> {
  await db`
    INSERT INTO task_comments (id, tenant_id, task_id, author_id, body) VALUES (${c.id}, ${tenantId}, ${taskId}, ${c.authorId}, ${c.body})`;
}

export async function editComment(db: Db, tenantId: string, taskId: string, id: string, body: string): Promise<boolean> {
  const rows = await db`
    UPDATE task_comments SET body = ${body}, edited_at = now()
    WHERE tenant_id = ${tenantId} AND task_id = ${taskId} AND id = ${id} RETURNING id`;
  return rows.length > 0;
}

export async function deleteComment(db: Db, tenantId: string, taskId: string, id: string): Promise<boolean> {
  const rows = await db`DELETE FROM task_comments WHERE tenant_id = ${tenantId} AND task_id = ${taskId} AND id = ${id} RETURNING id`;
  return rows.length > 0;
}
