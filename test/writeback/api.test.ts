/**
 * The writebacks API and what ops use beside it, against the fake FSMs with
 * a real worker, PostgreSQL and Temporal: GET /v1/writebacks filters and
 * pages; "retry now" ends a long Retry-After wait, restarts a workflow an
 * operator terminated, and refuses posted and skipped writebacks; every bad
 * request gets a 4xx JSON error and another tenant's writeback is a 404;
 * disconnecting ends a waiting writeback as skipped; the search attributes
 * ops query by are on writeback and sync runs.
 */
import type { InjectOptions } from 'fastify';
import { syncScheduleId, syncWorkflowId } from '../../domain/ids';
import { expectError, servedRoutes } from '../helpers/api-checks';
import { type TenantFixture, createTenantFixture, eventually } from '../helpers/harness';
import { FAST, type FsmUnderTest, type JobFixture, WRITEBACK_ROUTES, type WritebackWorld, fsmUnderTest, notesOfSession, writebackWorld } from '../helpers/writeback-fixture';
import { SETTLE_MS, TEST_TIMEOUT_MS, type World, startWorld } from '../integrations-api/fixture';

let w: World;
let wb: WritebackWorld;
let sm8: FsmUnderTest;
let b: TenantFixture;
const MISSING = '00000000-0000-4000-8000-000000000000';

jest.setTimeout(TEST_TIMEOUT_MS);

beforeAll(async () => {
  w = await startWorld();
  wb = writebackWorld(w);
  sm8 = fsmUnderTest(w, 'servicem8');
  b = await createTenantFixture(w.h.sql, 'Other tenant');
});
afterAll(() => w?.stop());
afterEach(() => {
  for (const fake of Object.values(w.fakes)) fake.clearFaults();
  expect(w.fakes.servicem8.violations).toEqual([]);
});

interface WritebackBody {
  id: string;
  sessionId: string;
  integrationId: string;
  state: string;
  attempts: number;
  workflowId: string;
  createdAt: string;
}

const send = (auth: Record<string, string>, req: InjectOptions) => w.h.app.inject({ ...req, headers: { ...req.headers, ...auth } });
const list = async (auth: Record<string, string>, query: string) => {
  const res = await send(auth, { method: 'GET', url: `/v1/writebacks${query}` });
  expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 200 });
  return res.json<{ items: WritebackBody[]; nextCursor: string | null }>();
};
const retry = (auth: Record<string, string>, id: string) => send(auth, { method: 'POST', url: `/v1/writebacks/${id}/retry` });

/** A writeback on the job, waiting out a Retry-After of an hour between tries. */
async function stuckBehindRateLimit(job: JobFixture) {
  const sessionId = await wb.completedSession(job, { score: 80 });
  w.fakes[job.provider].rateLimitNext(100_000, 3600);
  // A deadline the wait fits in: Temporal gives up on a retry that would start past the activity's schedule-to-close.
  const started = await wb.startWriteback(job, sessionId, { ...FAST, deadlineSeconds: 86_400 });
  await wb.inState(started.input.writebackId, 'retrying');
  // The retried activity has failed its first attempt and is scheduled for its second, an hour on.
  await eventually(async () => ((await started.handle.describe()).raw.pendingActivities?.[0]?.attempt ?? 0) >= 2, SETTLE_MS);
  return { sessionId, ...started };
}

test('the writebacks routes are all covered here', async () => {
  await w.h.app.ready();
  expect(servedRoutes(w.h.app).filter((r) => r.includes('/v1/writebacks'))).toEqual([...WRITEBACK_ROUTES].sort());
});

describe('GET /v1/writebacks', () => {
  test("each tenant sees its own writebacks, by state; another tenant sees none of them", async () => {
    const jobber = await wb.importedJob('jobber');
    const sm8Job = await wb.importedJob('servicem8');
    const posted = await wb.startWriteback(jobber, await wb.completedSession(jobber));
    await posted.handle.result();
    w.fakes.servicem8.rejectNextNote('refused for the test');
    const failed = await wb.startWriteback(sm8Job, await wb.completedSession(sm8Job));
    await failed.handle.result();

    const auth = jobber.tenant.admin.auth;
    const all = await list(auth, '');
    expect(all.items.map((i) => i.id)).toEqual([posted.input.writebackId]);
    expect(all.items[0]).toMatchObject({ state: 'posted', attempts: 1, workflowId: posted.handle.workflowId, integrationId: jobber.integrationId });
    const theirs = await list(sm8Job.tenant.admin.auth, '?state=failed');
    expect(theirs.items.map((i) => i.id)).toEqual([failed.input.writebackId]);
    expect(await list(sm8Job.tenant.admin.auth, '?state=posted')).toEqual({ items: [], nextCursor: null });
    expect(await list(b.admin.auth, '')).toEqual({ items: [], nextCursor: null });
  });

  test('filters by integration and pages with a cursor', async () => {
    const first = await wb.importedJob('servicem8');
    const tenant = first.tenant;
    const secondId = (await wb.api.connect(tenant.admin.auth, 'commusoft', { writebackEnabled: true })).id;
    await wb.api.synced(tenant.admin.auth, secondId);
    const second: JobFixture = {
      ...first,
      provider: 'commusoft',
      integrationId: secondId,
      ...(await w.h.sql<{ taskId: string; externalJobId: string }[]>`
        SELECT id AS task_id, external_job_id FROM tasks WHERE integration_id = ${secondId} ORDER BY external_job_id LIMIT 1`)[0]!,
    };
    const ids: string[] = [];
    for (const job of [first, second, first]) {
      const { input, handle } = await wb.startWriteback(job, await wb.completedSession(job));
      await handle.result();
      ids.push(input.writebackId);
    }

    const auth = tenant.admin.auth;
    expect((await list(auth, `?integrationId=${first.integrationId}`)).items.map((i) => i.id)).toEqual([ids[0], ids[2]]);
    expect((await list(auth, `?integrationId=${secondId}&state=posted`)).items.map((i) => i.id)).toEqual([ids[1]]);
    const page1 = await list(auth, '?limit=2');
    expect(page1.items.map((i) => i.id)).toEqual(ids.slice(0, 2));
    const page2 = await list(auth, `?limit=2&cursor=${page1.nextCursor}`);
    expect(page2).toEqual({ items: [expect.objectContaining({ id: ids[2] })], nextCursor: null });
  });

  test('bad queries get a 400 JSON error; only admins may list', async () => {
    const t = await createTenantFixture(w.h.sql, 'Bad input');
    const get = (auth: Record<string, string>, query: string) => send(auth, { method: 'GET', url: `/v1/writebacks${query}` });
    expectError(await get(t.admin.auth, '?state=stuck'), 400, 'validation_failed', /querystring\.state/);
    expectError(await get(t.admin.auth, '?integrationId=nope'), 400, 'validation_failed', /querystring\.integrationId/);
    expectError(await get(t.admin.auth, '?limit=0'), 400, 'validation_failed', /querystring\.limit/);
    expectError(await get(t.admin.auth, '?sort=state'), 400, 'validation_failed', /querystring\.sort/);
    expectError(await get(t.admin.auth, '?cursor=not-a-cursor'), 400, 'invalid_cursor');
    expectError(await get(t.engineer.auth, ''), 403, 'forbidden');
    expectError(await get(t.apiKey.auth, ''), 403, 'forbidden');
    expectError(await w.h.app.inject({ method: 'GET', url: '/v1/writebacks' }), 401, 'unauthorized');
  });
});

describe('POST /v1/writebacks/:id/retry', () => {
  test('ends a wait of an hour for a Retry-After at once: the note is posted', async () => {
    const job = await wb.importedJob('servicem8');
    const { sessionId, input, handle } = await stuckBehindRateLimit(job);
    w.fakes.servicem8.clearFaults();
    const res = await retry(job.tenant.admin.auth, input.writebackId);
    expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 202 });
    expect(res.json<WritebackBody>()).toMatchObject({ id: input.writebackId, sessionId });
    expect(await handle.result()).toMatchObject({ state: 'posted' });
    expect(notesOfSession(sm8, job, sessionId)).toHaveLength(1);
  });

  test('a writeback whose workflow an operator terminated gets a new run, and still one note', async () => {
    const job = await wb.importedJob('servicem8');
    const { sessionId, input, handle } = await stuckBehindRateLimit(job);
    await handle.terminate('test: an operator ends it by hand');
    w.fakes.servicem8.clearFaults();
    expect((await retry(job.tenant.admin.auth, input.writebackId)).statusCode).toBe(202);
    const posted = await wb.inState(input.writebackId, 'posted');
    expect(notesOfSession(sm8, job, sessionId).map((n) => n.id)).toEqual([posted.fsmNoteId]);
  });

  test('posted or skipped: 409; another tenant, an unknown id: 404; a bad id: 400; only admins', async () => {
    const job = await wb.importedJob('servicem8');
    const { input, handle } = await wb.startWriteback(job, await wb.completedSession(job));
    await handle.result();
    const auth = job.tenant.admin.auth;
    expectError(await retry(auth, input.writebackId), 409, 'invalid_transition', /posted/);
    await w.h.sql`UPDATE writebacks SET state = 'skipped' WHERE id = ${input.writebackId}`;
    expectError(await retry(auth, input.writebackId), 409, 'invalid_transition', /skipped/);
    expectError(await retry(b.admin.auth, input.writebackId), 404, 'not_found');
    expectError(await retry(auth, MISSING), 404, 'not_found');
    expectError(await retry(auth, 'not-a-uuid'), 400, 'validation_failed', /params\.id/);
    expectError(await retry(job.tenant.engineer.auth, input.writebackId), 403, 'forbidden');
    expectError(await retry(job.tenant.apiKey.auth, input.writebackId), 403, 'forbidden');
  });
});

test('a Retry-After that would end past the deadline fails the writeback at once, rather than asking again and again', async () => {
  const job = await wb.importedJob('servicem8');
  const sessionId = await wb.completedSession(job);
  const fake = w.fakes.servicem8;
  fake.rateLimitNext(100_000, 3600);
  const before = fake.requests.length;
  const { handle } = await wb.startWriteback(job, sessionId, { ...FAST, deadlineSeconds: 600 });
  expect(await handle.result()).toEqual({ state: 'failed', fsmNoteId: null, reason: expect.stringMatching(/^gave up after 10 minutes: servicem8 429/) });
  // The first try, then the first of the retried activity: its Retry-After reaches past the deadline.
  expect(fake.requests.slice(before).filter((r) => r.path.endsWith('/note.json'))).toHaveLength(2);
});

test('disconnecting the integration ends a writeback waiting for a reconnect as skipped', async () => {
  const job = await wb.importedJob('commusoft');
  const sessionId = await wb.completedSession(job);
  w.fakes.commusoft.revokeAll();
  const { input, handle } = await wb.startWriteback(job, sessionId);
  await wb.inState(input.writebackId, 'waiting_for_reconnect');
  expect((await send(job.tenant.admin.auth, { method: 'DELETE', url: `/v1/integrations/${job.integrationId}` })).statusCode).toBe(204);
  expect(await handle.result()).toMatchObject({ state: 'skipped' });
  expect((await wb.writebackRow(input.writebackId)).state).toBe('skipped');
});

describe('search attributes', () => {
  const ids = async (query: string) => {
    const found: string[] = [];
    for await (const execution of w.h.client.workflow.list({ query })) found.push(execution.workflowId);
    return found;
  };

  test('a writeback is found by tenant, task, provider, job and state', async () => {
    const job = await wb.importedJob('simpro');
    const { handle } = await wb.startWriteback(job, await wb.completedSession(job));
    await handle.result();
    const query = `TenantId='${job.tenant.tenantId}' AND TaskId='${job.taskId}' AND FsmProvider='simpro' AND FsmJobId='${job.externalJobId}' AND WritebackState='posted'`;
    expect(await eventually(async () => ((await ids(query)).includes(handle.workflowId) ? true : null), SETTLE_MS)).toBe(true);
  });

  test('every sync run, from the API or from the schedule, carries TenantId and FsmProvider', async () => {
    const job = await wb.importedJob('jobber');
    await w.h.client.schedule.getHandle(syncScheduleId(job.integrationId)).trigger();
    const runs = `WorkflowId='${syncWorkflowId(job.integrationId)}'`;
    await eventually(async () => (await ids(runs)).length >= 2, SETTLE_MS);
    const tagged = await eventually(async () => {
      const found = await ids(`${runs} AND TenantId='${job.tenant.tenantId}' AND FsmProvider='jobber'`);
      return found.length >= 2 ? found : null;
    }, SETTLE_MS);
    expect(tagged.length).toBe((await ids(runs)).length);
  });
});
