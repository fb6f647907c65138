/**
 * Task vocabulary shared by the API, the activities and the workflows.
 * Workflow-safe: no Node APIs, no I/O.
 */
export const TASK_STATUSES = ['open', 'in_progress', 'waiting', 'completed', 'cancelled', 'archived'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses a task is being worked in; only these can become overdue. */
export const LIVE_STATUSES = ['open', 'in_progress', 'waiting'] as const;
export type LiveStatus = (typeof LIVE_STATUSES)[number];

export const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const TASK_SOURCES = ['manual', 'api', 'integration'] as const;
export type TaskSource = (typeof TASK_SOURCES)[number];

export const PROVIDERS = ['servicem8', 'simpro', 'jobber', 'commusoft'] as const;
export type Provider = (typeof PROVIDERS)[number];

export const COMPLETION_SOURCES = ['session', 'manual', 'integration', 'other'] as const;
export type CompletionSource = (typeof COMPLETION_SOURCES)[number];

/** Seed 000's Session column: — / In Progress / Session ✓ / Manual ✓ / Integration ✓ / Completed. */
export const SESSION_BADGES = ['none', 'in_progress', 'session', 'manual', 'integration', 'completed'] as const;
export type SessionBadge = (typeof SESSION_BADGES)[number];

export function isLive(status: TaskStatus): status is LiveStatus {
  return (LIVE_STATUSES as readonly string[]).includes(status);
}

export function sessionBadge(
  status: TaskStatus,
  completionSource: CompletionSource | null,
  hasRunningSession: boolean,
): SessionBadge {
  if (hasRunningSession) return 'in_progress';
  if (completionSource === null || status === 'cancelled') return 'none';
  if (completionSource === 'other') return 'completed';
  return completionSource;
}

/** Who did something: recorded on every task event. */
export interface Actor {
  kind: 'user' | 'api_key' | 'system' | 'integration';
  id: string | null;
}
export const SYSTEM_ACTOR: Actor = { kind: 'system', id: null };
