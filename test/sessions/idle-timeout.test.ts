/**
 * A session the device stays silent on is failed as abandoned by the task's
 * workflow, and the task goes back to open; heartbeats (and uploads) keep it
 * alive. SESSION_IDLE_TIMEOUT_SECONDS is 2 s in this suite's configuration.
 */
import { type Harness, type TenantFixture, createTenantFixture, eventually, startHarness } from '../helpers/harness';
import { sessionApi, sessionRow } from '../helpers/session-api';
import { eventsOf } from '../helpers/task-api';

const IDLE_TIMEOUT_SECONDS = 2;

let h: Harness;
let api: ReturnType<typeof sessionApi>;
let t: TenantFixture;

beforeAll(async () => {
  h = await startHarness({
    sessions: { idleTimeoutSeconds: IDLE_TIMEOUT_SECONDS, recordingMaxBytes: 1024, recordingUrlKey: 'idle-suite-key-0123456789abcdefghij', recordingUrlTtlSeconds: 60 },
  });
  api = sessionApi(h);
  t = await createTenantFixture(h.sql, 'Idle');
});
afterAll(() => h.stop());

const abandoned = async (id: string) => (await sessionRow(h, id)).status === 'abandoned';

test('a silent session is abandoned: the task is open again and lists the attempt with the reason', async () => {
  const session = await api.started(t);
  await eventually(() => abandoned(session.id));

  const detail = await api.tasks.get(t.admin.auth, session.taskId);
  expect(detail).toMatchObject({ status: 'open', sessionBadge: 'none', session: null });
  expect(detail.failedSessions).toEqual([
    { id: session.id, startedAt: session.startedAt, failedAt: expect.any(String), reason: expect.stringMatching(/^abandoned/) },
  ]);
  const events = await eventsOf(h, session.taskId);
  expect(events.map((e) => [e.type, e.actorKind])).toEqual([
    ['task.created', 'user'],
    ['session.started', 'user'],
    ['session.abandoned', 'system'],
  ]);
  // The device comes back too late: the session is over.
  expect((await api.heartbeat(t.engineer.auth, session.id, 409)).json()).toMatchObject({ error: 'invalid_transition' });
  expect((await api.complete(t.engineer.auth, session.id, {}, 409)).json()).toMatchObject({ message: expect.stringMatching(/abandoned/) });
});

test('heartbeats keep a session alive past the timeout; once they stop, it is abandoned', async () => {
  const session = await api.started(t);
  const beats = IDLE_TIMEOUT_SECONDS * 10;
  for (let i = 0; i < beats; i++) {
    await api.heartbeat(t.engineer.auth, session.id);
    await new Promise((resolve) => setTimeout(resolve, (IDLE_TIMEOUT_SECONDS * 1000) / 8));
  }
  // About 2.5 timeouts have passed since the start.
  expect((await sessionRow(h, session.id)).status).toBe('running');
  expect((await api.tasks.get(t.admin.auth, session.taskId)).status).toBe('in_progress');

  await eventually(() => abandoned(session.id));
  expect((await api.tasks.get(t.admin.auth, session.taskId)).status).toBe('open');
});
