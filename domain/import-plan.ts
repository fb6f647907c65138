/**
 * What importing one FSM job does to its task: create it, update some of its
 * fields, tell its workflow the job was completed or cancelled, or nothing.
 * Pure, so the rules are tested on their own; db/repositories/imported-tasks.ts
 * applies the decisions for a whole page in a few multi-row statements.
 *
 * "Never overwrite what a tenant admin edited": each imported task keeps the
 * values the last import wrote (tasks.imported). A field is the FSM's to
 * change only while the task still holds exactly that value; once anyone
 * changed it (the Dashboard, the tenant API, a bulk edit), it is the
 * tenant's, and later imports leave it alone. Comparing values rather than
 * reading the audit trail means every way of editing counts, with no list of
 * "edit" events to keep in step, and an admin who sets the FSM's value again
 * hands the field back to the FSM.
 *
 * The task's status follows the same rule. The FSM's transitions (completed,
 * deleted or cancelled, reopened) become commands to the task's workflow, the
 * single writer of status, and only while the status is still the FSM's: a
 * live task takes a completion or a cancellation, and a task the import
 * completed (completion source `integration`) takes a reopen. A task a person
 * completed, cancelled or archived stays as they left it.
 */
import { type CompletionSource, type TaskStatus, isLive } from './task';

export type FsmStatus = 'open' | 'in_progress' | 'completed' | 'cancelled';

/** The task fields an import writes. */
export interface ImportedValues {
  title: string;
  description: string;
  /** RFC 3339, from the job's scheduled date. */
  dueAt: string | null;
  customerId: string | null;
  /** Sorted user ids: the job's staff matched to the tenant's users by email. */
  assigneeIds: string[];
}

export const IMPORTED_FIELDS = ['title', 'description', 'dueAt', 'customerId', 'assigneeIds'] as const satisfies readonly (keyof ImportedValues)[];
export type ImportedField = (typeof IMPORTED_FIELDS)[number];

/** What the last import saw of the job (tasks.imported). */
export interface ImportedState extends ImportedValues {
  status: FsmStatus;
  deleted: boolean;
  /** The job's last-modified time in the FSM: an older version never replaces a newer one. */
  updatedAt: string;
}

export interface CurrentTask extends ImportedValues {
  id: string;
  status: TaskStatus;
  completionSource: CompletionSource | null;
  imported: ImportedState | null;
  /** A command an earlier import owes the task's workflow and has not delivered yet. */
  importEffect: ImportEffect | null;
}

export type ImportEffect = 'complete' | 'cancel' | 'reopen';

export type ImportDecision =
  | { kind: 'create'; externalJobId: string; state: ImportedState; status: 'open' | 'in_progress' | 'completed' }
  | {
      kind: 'update';
      taskId: string;
      externalJobId: string;
      state: ImportedState;
      /** The task's values after the import: the FSM's where the field is still its own, the tenant's elsewhere. */
      values: ImportedValues;
      changed: ImportedField[];
      /** A lifecycle command the task's workflow must receive. */
      effect: ImportEffect | null;
    }
  | { kind: 'skip'; externalJobId: string; reason: 'unchanged' | 'stale' | 'gone' };

const gone = (s: Pick<ImportedState, 'status' | 'deleted'>) => s.deleted || s.status === 'cancelled';

function same(field: ImportedField, a: ImportedValues, b: ImportedValues): boolean {
  switch (field) {
    case 'dueAt':
      return a.dueAt === b.dueAt || (a.dueAt !== null && b.dueAt !== null && Date.parse(a.dueAt) === Date.parse(b.dueAt));
    case 'assigneeIds':
      return a.assigneeIds.length === b.assigneeIds.length && a.assigneeIds.every((id, i) => id === b.assigneeIds[i]);
    default:
      return a[field] === b[field];
  }
}

function sameState(a: ImportedState, b: ImportedState): boolean {
  return a.status === b.status && a.deleted === b.deleted && a.updatedAt === b.updatedAt && IMPORTED_FIELDS.every((f) => same(f, a, b));
}

export function planImport(current: CurrentTask | undefined, externalJobId: string, state: ImportedState): ImportDecision {
  if (!current) {
    // A job first seen deleted or cancelled has nothing for anyone to do.
    if (gone(state)) return { kind: 'skip', externalJobId, reason: 'gone' };
    return { kind: 'create', externalJobId, state, status: state.status === 'cancelled' ? 'open' : state.status };
  }
  const last = current.imported;
  if (last && Date.parse(state.updatedAt) < Date.parse(last.updatedAt)) return { kind: 'skip', externalJobId, reason: 'stale' };
  if (last && sameState(last, state)) return { kind: 'skip', externalJobId, reason: 'unchanged' };

  // Without a record of what was imported, every field counts as the tenant's.
  const fsmOwns = (field: ImportedField) => last !== null && same(field, current, last);
  const values = { ...current } as ImportedValues;
  const changed: ImportedField[] = [];
  for (const field of IMPORTED_FIELDS) {
    if (!fsmOwns(field) || same(field, current, state)) continue;
    (values as unknown as Record<string, unknown>)[field] = state[field];
    changed.push(field);
  }

  return { kind: 'update', taskId: current.id, externalJobId, state, values: pick(values), changed, effect: effectOf(current, last, state) };
}

/**
 * Only the FSM's transitions count (from what the last import saw to what
 * this one sees), and only while the status is still the FSM's (see above).
 */
function effectOf(current: CurrentTask, last: ImportedState | null, state: ImportedState): ImportEffect | null {
  if (isLive(current.status)) {
    if (gone(state) && !(last && gone(last))) return 'cancel';
    if (state.status === 'completed' && last?.status !== 'completed') return 'complete';
  }
  const reopened = last !== null && last.status === 'completed' && !gone(state) && state.status !== 'completed';
  // A completion still owed is overtaken too: delivered to a task still live, the reopen does nothing.
  const fsmClosed = (current.status === 'completed' && current.completionSource === 'integration') || current.importEffect === 'complete';
  return reopened && fsmClosed ? 'reopen' : null;
}

function pick(v: ImportedValues): ImportedValues {
  return { title: v.title, description: v.description, dueAt: v.dueAt, customerId: v.customerId, assigneeIds: v.assigneeIds };
}
