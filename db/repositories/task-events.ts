import type { Actor } from '../../domain/task';
import type { Db } from '../sql';

export interface TaskEvent {
  id: string;
  taskId: string;
  type: string;
  actor: Actor;
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface NewTaskEvent {
  /** Give it when the write may be retried: the same id records one event. */
  id?: string;
  tenantId: string;
  taskId: string;
  type: string;
  actor: Actor;
  data?: Record<string, unknown>;
}

export async function recordTaskEvents(db: Db, events: NewTaskEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({
    id: e.id ?? crypto.randomUUID(),
    tenantId: e.tenantId,
    taskId: e.taskId,
    type: e.type,
    actorKind: e.actor.kind,
    actorId: e.actor.id,
    data: db.json((e.data ?? {}) as never),
  }));
  await db`INSERT INTO task_events ${db(rows)} ON CONFLICT (id) DO NOTHING`;
}

export async function listTaskEvents(db: Db, tenantId: string, taskId: string): Promise<TaskEvent[]> {
  const rows = await db<(Omit<TaskEvent, 'actor'> & { actorKind: Actor['kind']; actorId: string | null })[]>`
    SELECT id, task_id, type, actor_kind, actor_id, data, created_at FROM task_events
    WHERE tenant_id = ${tenantId} AND task_id = ${taskId} ORDER BY created_at, id`;
  return rows.map(({ actorKind, actorId, ...e }) => ({ ...e, actor: { kind: actorKind, id: actorId } }));
}
