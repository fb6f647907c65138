/**
 * Task bodies checked and completed against the tenant before they are
 * written: assignees are users of the tenant; a milestone is one of the
 * task's project (and, given alone, sets it); a date-only due date becomes
 * the end of that day in the tenant's time zone. Each failure is a 400 that
 * names the field. Customers and projects of another tenant fail on their
 * composite foreign keys, which api/errors.ts maps to the field too.
 */
import { unknownUserIds } from '../db/repositories/accounts';
import { milestoneProjects } from '../db/repositories/milestones';
import type { NewTask, TaskEditable } from '../db/repositories/tasks';
import { endsOfDates } from '../db/repositories/tenants';
import type { Db } from '../db/sql';
import { type ErrorDetail, HttpError, badRequest } from './errors';

export interface TaskContext {
  projectId?: string | null;
  milestoneId?: string | null;
}

interface DueFields {
  dueAt?: string | null;
  dueDate?: string | null;
}

/** Assignees must be users of the tenant; says which are not. */
export async function checkAssignees(db: Db, tenantId: string, bodies: { assigneeIds?: string[] }[], prefix: (i: number) => string) {
  const all = bodies.flatMap((b) => b.assigneeIds ?? []);
  const unknown = new Set(await unknownUserIds(db, tenantId, all));
  if (unknown.size === 0) return;
  const details: ErrorDetail[] = [];
  bodies.forEach((b, i) =>
    (b.assigneeIds ?? []).forEach((id, j) => {
      if (unknown.has(id)) details.push({ path: `${prefix(i)}.assigneeIds.${j}`, message: `no user ${id} in this tenant` });
    }),
  );
  throw new HttpError(400, 'unknown_reference', 'some assignees are not users of this tenant', details);
}

/**
 * The milestone rule, per body: a milestone given without a project sets the
 * project to the milestone's; given with one, it must be that project's; a
 * new project (in a patch, `before` is the task) must be the kept milestone's.
 */
export async function resolveContexts<T extends TaskContext>(
  db: Db,
  tenantId: string,
  bodies: T[],
  prefix: (i: number) => string,
  before: TaskContext = {},
): Promise<T[]> {
  const ids = bodies.flatMap((b) => [b.milestoneId, b.milestoneId === undefined ? before.milestoneId : null]).filter((id) => !!id);
  const projectOf = await milestoneProjects(db, tenantId, ids as string[]);
  const unknown: ErrorDetail[] = [];
  const details: ErrorDetail[] = [];
  const resolved = bodies.map((body, i) => {
    if (body.projectId === undefined && body.milestoneId === undefined) return body;
    const milestoneId = body.milestoneId === undefined ? before.milestoneId : body.milestoneId;
    if (!milestoneId) return body;
    const projectId = projectOf.get(milestoneId);
    const path = `${prefix(i)}.milestoneId`;
    if (!projectId) {
      unknown.push({ path, message: `no milestone ${milestoneId} in this tenant` });
      return body;
    }
    if (body.projectId === undefined && body.milestoneId !== undefined) return { ...body, projectId };
    const wanted = body.projectId === undefined ? before.projectId : body.projectId;
    if (wanted !== projectId) {
      details.push({
        path,
        message:
          body.milestoneId === undefined
            ? 'the milestone kept belongs to another project: set milestoneId too (null, or one of the new project)'
            : `milestone ${milestoneId} belongs to another project than projectId`,
      });
    }
    return body;
  });
  if (unknown.length > 0) {
    throw new HttpError(400, 'unknown_reference', 'milestoneId names something that does not exist in this tenant', unknown);
  }
  if (details.length > 0) throw new HttpError(400, 'invalid_milestone', "the milestone must be one of the project's milestones", details);
  return resolved;
}

/**
 * dueAt or dueDate, never both. A dueDate is stored as the instant its day
 * ends in the tenant's zone (dueAt) and kept as the date; a dueAt clears it.
 */
export async function resolveDueDates<T extends DueFields>(db: Db, tenantId: string, bodies: T[], prefix: (i: number) => string): Promise<T[]> {
  const both = bodies.findIndex((b) => b.dueAt !== undefined && b.dueDate !== undefined);
  if (both >= 0) throw badRequest('give dueAt or dueDate, not both', [{ path: `${prefix(both)}.dueDate`, message: 'dueAt is given too' }]);
  const dates = bodies.map((b) => b.dueDate).filter((d): d is string => typeof d === 'string');
  const endOf = await endsOfDates(db, tenantId, dates);
  return bodies.map((b) => {
    if (b.dueDate !== undefined) return { ...b, dueAt: b.dueDate === null ? null : endOf.get(b.dueDate)!.toISOString() };
    return b.dueAt === undefined ? b : { ...b, dueDate: null };
  });
}

/** New tasks' bodies, checked and completed (see above). Run it in the creating transaction. */
export async function prepareNewTasks<T extends NewTask>(db: Db, tenantId: string, tasks: T[], prefix: (i: number) => string): Promise<T[]> {
  await checkAssignees(db, tenantId, tasks, prefix);
  return resolveDueDates(db, tenantId, await resolveContexts(db, tenantId, tasks, prefix), prefix);
}

/** An edit, checked and completed against the task as it is. */
export async function preparePatch<T extends TaskEditable>(db: Db, tenantId: string, patch: T, before: TaskContext): Promise<T> {
  const body = () => 'body';
  await checkAssignees(db, tenantId, [patch], body);
  const [withContext] = await resolveContexts(db, tenantId, [patch], body, before);
  const [withDue] = await resolveDueDates(db, tenantId, [withContext!], body);
  return withDue!;
}
