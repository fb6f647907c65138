import { Type } from '@sinclair/typebox';
import { TABS, SORTS } from '../../db/repositories/tasks';
import { COMPLETION_SOURCES, LIVE_STATUSES, PRIORITIES, PROVIDERS, SESSION_BADGES, TASK_SOURCES, TASK_STATUSES } from '../../domain/task';
import { DateTime, Nullable, StringEnum, Timestamp, Uuid } from './common';

const Title = Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'required, not blank' });
const Description = Type.String({ maxLength: 20_000, description: 'used as AI session context' });
const Tag = Type.String({ minLength: 1, maxLength: 50 });

const editable = {
  description: Type.Optional(Description),
  priority: Type.Optional(StringEnum(PRIORITIES, { description: 'medium when not given' })),
  dueAt: Type.Optional(Nullable(DateTime)),
  assigneeIds: Type.Optional(Type.Array(Uuid, { maxItems: 50, uniqueItems: true, description: 'users of the tenant' })),
  tags: Type.Optional(Type.Array(Tag, { maxItems: 50, uniqueItems: true })),
  private: Type.Optional(Type.Boolean({ description: 'visible only to assignees, the creator and admins' })),
  customerId: Type.Optional(Nullable(Uuid)),
  projectId: Type.Optional(Nullable(Uuid)),
  milestoneId: Type.Optional(Nullable(Uuid)),
};

export const CreateTaskBody = Type.Object(
  { title: Title, ...editable },
  { additionalProperties: false, examples: [{ title: 'Boiler service', priority: 'high', dueAt: '2026-12-01T09:00:00Z' }] },
);

export const PatchTaskBody = Type.Object(
  { title: Type.Optional(Title), ...editable },
  { additionalProperties: false, minProperties: 1, examples: [{ priority: 'urgent', assigneeIds: [] }] },
);

export const Assignee = Type.Object({ id: Uuid, name: Type.String(), email: Type.String() });

export const TaskSourceSchema = Type.Object({
  type: StringEnum(TASK_SOURCES),
  provider: Nullable(StringEnum(PROVIDERS)),
  integrationId: Nullable(Uuid),
  externalJobId: Nullable(Type.String()),
});

const rowProps = {
  id: Uuid,
  title: Type.String(),
  status: StringEnum(TASK_STATUSES),
  priority: StringEnum(PRIORITIES),
  dueAt: Nullable(Timestamp),
  overdue: Type.Boolean({ description: 'due date passed while open, in progress or waiting' }),
  assignees: Type.Array(Assignee),
  sessionBadge: StringEnum(SESSION_BADGES, { description: 'the Session column: none is shown as —' }),
  source: TaskSourceSchema,
  completionSource: Nullable(StringEnum(COMPLETION_SOURCES)),
  completedAt: Nullable(Timestamp),
  private: Type.Boolean(),
  tags: Type.Array(Type.String()),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};

export const TaskRow = Type.Object(rowProps, { $id: 'TaskRow' });

export const AttachmentSchema = Type.Object(
  {
    id: Uuid,
    filename: Type.String(),
    contentType: Type.String(),
    sizeBytes: Type.Integer(),
    sha256: Type.String(),
    url: Type.String({ description: 'download path, with the same bearer token' }),
    createdAt: Timestamp,
  },
  { $id: 'Attachment' },
);

export const SessionBlock = Type.Object({
  id: Uuid,
  status: StringEnum(['running', 'completed', 'failed', 'abandoned'] as const),
  engineerId: Nullable(Uuid),
  startedAt: Timestamp,
  endedAt: Nullable(Timestamp),
  durationSeconds: Nullable(Type.Integer()),
  stepsCompleted: Nullable(Type.Integer()),
  toolsUsed: Type.Array(Type.String()),
  notes: Nullable(Type.String()),
  score: Nullable(Type.Integer()),
  thumbnailUrl: Nullable(Type.String()),
  url: Type.String({ description: 'the session: View Session →' }),
});

export const FailedSession = Type.Object({
  id: Uuid,
  startedAt: Timestamp,
  failedAt: Nullable(Timestamp),
  reason: Nullable(Type.String()),
});

export const TaskDetail = Type.Object(
  {
    ...rowProps,
    description: Type.String(),
    customerId: Nullable(Uuid),
    projectId: Nullable(Uuid),
    milestoneId: Nullable(Uuid),
    createdBy: Nullable(Uuid),
    attachments: Type.Array(Type.Ref(AttachmentSchema)),
    session: Nullable(SessionBlock, ),
    failedSessions: Type.Array(FailedSession),
  },
  { $id: 'TaskDetail' },
);

export const Counts = Type.Object(
  Object.fromEntries(TABS.map((t) => [t, Type.Integer()])) as Record<(typeof TABS)[number], ReturnType<typeof Type.Integer>>,
  { description: 'tasks per status tab under the same filters; all = every status but archived' },
);

export const ListTasksQuery = Type.Object(
  {
    tab: Type.Optional(StringEnum(TABS, { default: 'all', description: 'all = every status but archived' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'full-text search over title and description' })),
    priority: Type.Optional(StringEnum(PRIORITIES)),
    assignee: Type.Optional(
      Type.String({ pattern: '^(unassigned|me|[0-9a-fA-F-]{36})$', description: 'unassigned, me, or a user id' }),
    ),
    source: Type.Optional(StringEnum(TASK_SOURCES)),
    tag: Type.Optional(Tag),
    dueAfter: Type.Optional(Type.String({ format: 'date-time', description: 'due at or after' })),
    dueBefore: Type.Optional(Type.String({ format: 'date-time', description: 'due before' })),
    overdue: Type.Optional(Type.Boolean()),
    sort: Type.Optional(StringEnum(SORTS, { default: 'created' })),
    order: Type.Optional(StringEnum(['asc', 'desc'] as const, { description: 'default: desc, but asc for due' })),
    cursor: Type.Optional(Type.String({ maxLength: 500, description: 'nextCursor of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  },
  { additionalProperties: false },
);

export const TaskList = Type.Object({
  items: Type.Array(Type.Ref(TaskRow)),
  nextCursor: Nullable(Type.String()),
  counts: Counts,
});

export const StatusBody = Type.Object(
  {
    status: StringEnum([...LIVE_STATUSES, 'completed', 'cancelled'] as const, {
      description: 'a Kanban move: completed completes (Manual ✓), cancelled cancels',
    }),
  },
  { additionalProperties: false },
);

export const BulkBody = Type.Object(
  {
    action: StringEnum(['complete', 'archive', 'delete'] as const),
    ids: Type.Array(Uuid, { minItems: 1, maxItems: 500, uniqueItems: true }),
  },
  { additionalProperties: false },
);

export const BulkResult = Type.Object({
  action: Type.String(),
  succeeded: Type.Integer(),
  failed: Type.Integer(),
  results: Type.Array(
    Type.Object({
      id: Uuid,
      ok: Type.Boolean(),
      status: Type.Optional(Type.String()),
      error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
    }),
  ),
});

export const BatchBody = Type.Object(
  { tasks: Type.Array(CreateTaskBody, { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);

export const BatchResult = Type.Object({
  count: Type.Integer(),
  tasks: Type.Array(
    Type.Object({ id: Uuid, title: Type.String(), status: StringEnum(TASK_STATUSES), dueAt: Nullable(Timestamp), createdAt: Timestamp }),
  ),
});

export const MyTasksQuery = Type.Object(
  {
    updatedSince: Type.Optional(Type.String({ format: 'date-time' })),
    cursor: Type.Optional(Type.String({ maxLength: 500 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 100 })),
  },
  { additionalProperties: false },
);

export const MyTasksList = Type.Object({
  items: Type.Array(Type.Object({ ...rowProps, description: Type.String() })),
  nextCursor: Nullable(Type.String({ description: 'pass as cursor; when null, keep the last updatedAt for the next sync' })),
});
