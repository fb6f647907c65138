/**
 * The Sessions API's bodies and answers (api/routes/sessions.ts) and the
 * signed recording link's query (api/routes/recordings.ts).
 *
 * Whatever a device reports is bounded here: the completion is written by
 * the task's workflow, in an activity, so a value PostgreSQL would refuse (a
 * number past `integer`, a NUL character in text) must never get that far.
 */
import { Type } from '@sinclair/typebox';
import { PIPELINE_STATES, SESSION_STATUSES, WRITEBACK_STATES } from '../../domain/session';
import { PROVIDERS } from '../../domain/task';
import { Nullable, StringEnum, Timestamp, Uuid } from './common';

const INT_MAX = 2_147_483_647;
/** Text PostgreSQL can store: no NUL characters. */
const NO_NUL = '^[^\\u0000]*$';
const Count = (description: string) => Type.Integer({ minimum: 0, maximum: INT_MAX, description });

export const StartSessionBody = Type.Object(
  {
    taskId: Type.String({ format: 'uuid', description: 'a task you are assigned to (admins and API keys: any task)' }),
    id: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          'the session id, chosen by the device (recommended): a start repeated with the same id (a lost response) answers 200 with ' +
          'that session instead of 409. Without it the server chooses one.',
      }),
    ),
  },
  { additionalProperties: false, examples: [{ taskId: '6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c' }] },
);

export const CompleteSessionBody = Type.Object(
  {
    score: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    durationSeconds: Type.Optional(Count('how long the engineer worked')),
    stepsCompleted: Type.Optional(Count('procedure steps done')),
    toolsUsed: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200, pattern: NO_NUL }), { maxItems: 100 })),
    notes: Type.Optional(Type.String({ maxLength: 20_000, pattern: NO_NUL })),
    transcript: Type.Optional(Type.String({ maxLength: 1_000_000, pattern: NO_NUL, description: 'what was said; the pipeline summarises it' })),
  },
  {
    additionalProperties: false,
    description: 'every field is optional; no body at all is an empty one',
    examples: [{ score: 92, durationSeconds: 1860, stepsCompleted: 7, toolsUsed: ['multimeter'], notes: 'Replaced the fuse.' }],
  },
);

export const FailSessionBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000, pattern: '^[^\\u0000]*\\S[^\\u0000]*$', description: 'required, not blank' }) },
  { additionalProperties: false, examples: [{ reason: 'The customer was not on site.' }] },
);

const Writeback = Type.Object({
  id: Uuid,
  integrationId: Uuid,
  provider: StringEnum(PROVIDERS),
  state: StringEnum(WRITEBACK_STATES),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  lastErrorAt: Nullable(Timestamp),
  fsmNoteId: Nullable(Type.String()),
  postedAt: Nullable(Timestamp),
});

export const SessionSchema = Type.Object(
  {
    id: Uuid,
    taskId: Uuid,
    status: StringEnum(SESSION_STATUSES),
    engineer: Nullable(Type.Object({ id: Uuid, name: Type.String() })),
    startedAt: Timestamp,
    endedAt: Nullable(Timestamp),
    lastSeenAt: Timestamp,
    durationSeconds: Nullable(Type.Integer()),
    score: Nullable(Type.Integer()),
    stepsCompleted: Nullable(Type.Integer()),
    toolsUsed: Type.Array(Type.String()),
    notes: Nullable(Type.String()),
    failureReason: Nullable(Type.String()),
    thumbnailUrl: Nullable(Type.String({ description: 'download path, with the same bearer token' })),
    recording: Nullable(
      Type.Object({
        sizeBytes: Type.Integer(),
        contentType: Type.String(),
        url: Type.String({ description: 'a signed link that needs no token and expires (RECORDING_URL_TTL_SECONDS); GET the session again for a fresh one' }),
      }),
    ),
    summary: Nullable(Type.String({ description: "the pipeline's summary, once written" })),
    procedures: Type.Unknown({ description: 'procedures the pipeline extracted (JSON), or null' }),
    pipeline: Type.Object({
      state: Nullable(StringEnum(PIPELINE_STATES, { description: 'null until the session completes' })),
      skipped: Type.Array(Type.String(), { description: 'AI steps the pipeline went on without' }),
    }),
    writebacks: Type.Array(Writeback, { description: 'the job note per connected FSM' }),
  },
  { $id: 'Session', description: 'a work session; its transcript is not included (it can be long)' },
);

export const RecordingParams = Type.Object({ sessionId: Uuid });

export const RecordingQuery = Type.Object(
  {
    t: Type.String({ format: 'uuid', description: 'the tenant' }),
    exp: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'expiry, unix seconds' }),
    sig: Type.String({ minLength: 1, maxLength: 200, description: 'base64url HMAC-SHA256' }),
  },
  { additionalProperties: false },
);
