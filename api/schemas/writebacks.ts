/** The writebacks API's query and answers (api/routes/writebacks.ts): one row per job note owed to an FSM. */
import { Type } from '@sinclair/typebox';
import { WRITEBACK_STATES } from '../../domain/session';
import { PROVIDERS } from '../../domain/task';
import { Nullable, PageOf, PageQuery, StringEnum, Timestamp, Uuid } from './common';

const EXAMPLE_SESSION = '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
const EXAMPLE_INTEGRATION = '3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c';

export const WritebackStateSchema = StringEnum(WRITEBACK_STATES, {
  description:
    'pending: not tried yet; retrying: a try failed, the next follows with backoff; waiting_for_reconnect: the credentials were revoked, ' +
    'it waits for a reconnect; posted: the note is on the job; failed: the FSM refused it, or the deadline passed; skipped: writeback was turned off',
});

export const ListWritebacksQuery = PageQuery(
  {
    state: Type.Optional(WritebackStateSchema),
    integrationId: Type.Optional({ ...Uuid, description: "only this integration's writebacks" }),
  },
  { examples: [{ state: 'failed' }, { state: 'waiting_for_reconnect', integrationId: EXAMPLE_INTEGRATION }] },
);

const example = {
  id: '9c8b7a6f-5e4d-4c3b-8a1f-0e9d8c7b6a5f',
  sessionId: EXAMPLE_SESSION,
  taskId: '6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c',
  integrationId: EXAMPLE_INTEGRATION,
  provider: 'jobber',
  externalJobId: 'Z2lkOi8vSm9iYmVyL0pvYi8xMjM0',
  state: 'retrying',
  attempts: 3,
  lastError: 'jobber 503: Service temporarily unavailable',
  lastErrorAt: '2026-05-18T09:06:10.000Z',
  fsmNoteId: null,
  postedAt: null,
  workflowId: `writeback/${EXAMPLE_SESSION}/${EXAMPLE_INTEGRATION}`,
  createdAt: '2026-05-18T09:05:00.000Z',
  updatedAt: '2026-05-18T09:06:10.000Z',
};

export const WritebackSchema = Type.Object(
  {
    id: Uuid,
    sessionId: Uuid,
    taskId: Uuid,
    integrationId: Uuid,
    provider: StringEnum(PROVIDERS),
    externalJobId: Type.String({ description: "the FSM's job the note goes on" }),
    state: WritebackStateSchema,
    attempts: Type.Integer({ description: 'tries so far, across retries and restarts' }),
    lastError: Nullable(Type.String({ description: "the last try's error, as the FSM put it" })),
    lastErrorAt: Nullable(Timestamp),
    fsmNoteId: Nullable(Type.String({ description: "the FSM's id of the note, once posted" })),
    postedAt: Nullable(Timestamp),
    workflowId: Type.String({ description: 'writeback/<sessionId>/<integrationId>: find it in the Temporal UI' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { examples: [example] },
);

export const WritebackList = PageOf(WritebackSchema, { examples: [{ items: [example], nextCursor: null }] });
