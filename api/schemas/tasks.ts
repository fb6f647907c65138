import { Type } from '@sinclair/typebox';
import { TABS, SORTS } from '../../db/repositories/tasks';
import { COMPLETION_SOURCES, LIVE_STATUSES, PRIORITIES, PROVIDERS, SESSION_BADGES, TASK_SOURCES, TASK_STATUSES } from '../../domain/task';
import { DateTime, Nullable, StringEnum, Timestamp, Uuid } from './common';

export const Title = Type.String({ minLength: 1, maxLength: 500, pattern: '\\S', description: 'required, not blank' });
export const Description = Type.String({ maxLength: 20_000, description: 'used as AI session context' });
export const Tag = Type.String({ minLength: 1, maxLength: 50 });

export const editable = {
  description: Type.Optional(Description),
  priority: Type.Optional(StringEnum(PRIORITIES, { description: 'medium when not given' })),
  dueAt: Type.Optional(Nullable(DateTime)),
  dueDate: Type.Optional(
    Nullable(
      Type.String({
        format: 'date',
        description: "a due date without a time, instead of dueAt (not both): overdue once that day ends in the tenant's time zone",
      }),
    ),
  ),
  assigneeIds: Type.Optional(Type.Array(Uuid, { maxItems: 50, uniqueItems: true, description: 'users of the tenant' })),
  tags: Type.Optional(Type.Array(Tag, { maxItems: 50, uniqueItems: true })),
  private: Type.Optional(Type.Boolean({ description: 'visible only to assignees, the creator and admins' })),
  customerId: Type.Optional(Nullable(Uuid)),
  projectId: Type.Optional(Nullable(Uuid)),
  milestoneId: Type.Optional(
    Nullable(Type.String({ format: 'uuid', description: "one of the project's milestones; given without projectId, it sets the project too" })),
  ),
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
  disconnected: Type.Optional(Type.Boolean({ description: 'on tasks from an integration: true once it is disconnected (the task stays, "from a disconnected integration")' })),
});

const rowProps = {
  id: Uuid,
  title: Type.String(),
  status: StringEnum(TASK_STATUSES),
  priority: StringEnum(PRIORITIES),
  dueAt: Nullable(Timestamp),
  dueDate: Nullable(
    Type.String({ format: 'date', description: 'set when the due date has no time; dueAt is then when that day ends in the tenant zone' }),
  ),
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

const TASK_DETAIL_EXAMPLE = {
  id: '6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c',
  title: 'Send the proposal',
  status: 'in_progress',
  priority: 'high',
  dueAt: '2026-05-02T22:00:00.000Z',
  dueDate: '2026-05-02',
  overdue: false,
  assignees: [{ id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', name: 'Ada Admin', email: 'ada@example.test' }],
  sessionBadge: 'none',
  source: { type: 'manual', provider: null, integrationId: null, externalJobId: null },
  completionSource: null,
  completedAt: null,
  private: false,
  tags: ['follow-up'],
  createdAt: '2026-04-30T09:00:00.000Z',
  updatedAt: '2026-04-30T09:00:00.000Z',
  description: 'Attach the price list.',
  customerId: '5d0c1f2e-8a4b-4c1d-9e3f-2a1b0c9d8e7f',
  projectId: null,
  milestoneId: null,
  createdBy: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  attachments: [],
  session: null,
  failedSessions: [],
};

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
  { $id: 'TaskDetail', examples: [TASK_DETAIL_EXAMPLE] },
);

export const LIST_LIMIT = 200;
export const CALENDAR_LIMIT = 1000;

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
      Type.String({
        pattern: '^(unassigned|me|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$',
        description: 'unassigned, me, or a user id',
      }),
    ),
    source: Type.Optional(StringEnum(TASK_SOURCES)),
    tag: Type.Optional(Tag),
    dueAfter: Type.Optional(Type.String({ format: 'date-time', description: 'due at or after', examples: ['2026-05-01T00:00:00+02:00'] })),
    dueBefore: Type.Optional(Type.String({ format: 'date-time', description: 'due before', examples: ['2026-06-01T00:00:00+02:00'] })),
    overdue: Type.Optional(Type.Boolean()),
    customerId: Type.Optional(Type.String({ format: 'uuid', description: "the customer's tasks" })),
    related: Type.Optional(
      Type.Boolean({ description: 'with customerId: also the tasks of the customers linked to it (Show related tasks)' }),
    ),
    projectId: Type.Optional(Type.String({ format: 'uuid', description: "the project's tasks" })),
    milestoneId: Type.Optional(Type.String({ format: 'uuid', description: "the milestone's tasks" })),
    hideCompleted: Type.Optional(
      Type.Boolean({ description: 'leave completed tasks out (Show completed unticked); by default they are listed', default: false }),
    ),
    view: Type.Optional(
      StringEnum(['full', 'compact'] as const, {
        default: 'full',
        description: 'compact: rows with only id, title, status, priority, due date, overdue and assignee names (the mobile list)',
      }),
    ),
    sort: Type.Optional(StringEnum(SORTS, { default: 'created' })),
    order: Type.Optional(StringEnum(['asc', 'desc'] as const, { description: 'default: desc, but asc for due' })),
    cursor: Type.Optional(Type.String({ maxLength: 500, description: 'nextCursor of the previous page' })),
    limit: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: CALENDAR_LIMIT,
        default: 50,
        description:
          `at most ${LIST_LIMIT}; up to ${CALENDAR_LIMIT} when both dueAfter and dueBefore are given ` +
          '(a calendar month in one page: sort=due reads only that range of the due-date index)',
      }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ tab: 'open', customerId: '5d0c1f2e-8a4b-4c1d-9e3f-2a1b0c9d8e7f', related: true, hideCompleted: true }],
  },
);

export const TaskList = Type.Object({
  items: Type.Array(Type.Ref(TaskRow)),
  nextCursor: Nullable(Type.String()),
  counts: Counts,
});

export const CompactTaskRow = Type.Object(
  {
    id: Uuid,
    title: Type.String(),
    status: StringEnum(TASK_STATUSES),
    priority: StringEnum(PRIORITIES),
    dueAt: Nullable(Timestamp),
    dueDate: rowProps.dueDate,
    overdue: Type.Boolean(),
    assignees: Type.Array(Type.Object({ id: Uuid, name: Type.String() }, { additionalProperties: false })),
  },
  // Closed, so that a full row can never pass for a compact one in TaskListResponse's anyOf.
  { $id: 'CompactTaskRow', additionalProperties: false },
);

/** The list with view=compact. */
export const CompactTaskList = Type.Object({
  items: Type.Array(Type.Ref(CompactTaskRow)),
  nextCursor: Nullable(Type.String()),
  counts: Counts,
});

/** GET /v1/tasks answers with full rows, or compact ones with view=compact. */
export const TaskListResponse = Type.Union([TaskList, CompactTaskList], {
  description: 'full rows (no description: open the task for it), or compact rows with view=compact',
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
