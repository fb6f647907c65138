/**
 * The ServiceM8 connector against the fake ServiceM8. The fake checks every
 * request the connector sends against ServiceM8's official OpenAPI
 * (../shared/vendor/servicem8-openapi.json, loaded once for this suite) and
 * every answer it gives against the spec's response schemas; `violations`
 * must stay empty after each test.
 */
import { randomUUID } from 'node:crypto';
import { type OAuthSettings, authorizeUrl } from '../../connectors/oauth';
import { SERVICEM8_DEFAULTS, SERVICEM8_SCOPES, createServiceM8Connector } from '../../connectors/servicem8';
import type { ConnectionSettings, TokenSource } from '../../connectors/types';
import { FakeServiceM8, SERVICEM8_API_PREFIX } from '../fakes/servicem8';
import { REDIRECT_URI, connect, describeConnectorContract, listAll, onFake, tokenSource } from './connector-contract';

const connector = createServiceM8Connector();
let fake: FakeServiceM8;
let settings: ConnectionSettings;
let oauth: OAuthSettings;

beforeAll(async () => {
  fake = new FakeServiceM8();
  fake.pageSize = 500; // ServiceM8 pages hold 5,000; smaller pages exercise the cursor
  const url = await fake.start();
  settings = { baseUrl: onFake(SERVICEM8_DEFAULTS.baseUrl, url) };
  oauth = {
    provider: 'servicem8',
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    authorizeUrl: onFake(SERVICEM8_DEFAULTS.authorizeUrl, url),
    tokenUrl: onFake(SERVICEM8_DEFAULTS.tokenUrl, url),
    scopes: SERVICEM8_SCOPES,
  };
});
afterAll(() => fake.stop());

describe('contract', () => {
  describeConnectorContract(async () => ({
    fake,
    connector,
    settings,
    oauth,
    violations: () => fake.violations,
    seedJobs: (n) => fake.seedJobs(n),
    mark: () => {
      fake.tick();
      return fake.now();
    },
    changeJob: (id, description) => fake.changeJob(id, { job_description: description }),
    completeJob: (id) => fake.completeJob(id),
    deleteJob: (id) => fake.deleteJob(id),
    missingJobId: () => randomUUID(),
    noteCount: (id) => fake.notesOn(id).length,
    // ServiceM8's validation error: 400 with errorCode 1000 (api.json).
    rejectNext: (message) => fake.failNext(1, 400, { errorCode: 1000, message }),
    deletedJobsListed: true,
  }));
});

describe('ServiceM8', () => {
  let auth: TokenSource;
  const apiRequests = (from: number) => fake.requests.slice(from).filter((r) => r.path.startsWith(SERVICEM8_API_PREFIX));

  beforeAll(async () => {
    auth = tokenSource(oauth, await connect(oauth)).source;
  });
  afterEach(() => {
    fake.clearFaults();
    expect(fake.violations).toEqual([]);
  });

  test('authorizes at /oauth/authorize with the scopes it needs, and exchanges the code at /oauth/access_token', async () => {
    const url = new URL(authorizeUrl(oauth, REDIRECT_URI, 'st'));
    expect(url.pathname).toBe('/oauth/authorize');
    expect(url.searchParams.get('scope')!.split(' ')).toEqual(
      expect.arrayContaining(['read_jobs', 'manage_jobs', 'read_customers', 'read_staff', 'read_schedule', 'read_job_notes', 'publish_job_notes']),
    );
    const from = fake.requests.length;
    await connect(oauth);
    expect(fake.requests.slice(from).find((r) => r.method === 'POST')).toMatchObject({ path: '/oauth/access_token', body: { grant_type: 'authorization_code' } });
  });

  test("asks for edit_date in ServiceM8's format one second early, cursor=-1 first and then each x-next-cursor", async () => {
    const from = fake.requests.length;
    await connector.listChangedJobs(auth, settings, { since: '2026-03-01T10:00:05.000Z', pageToken: null });
    expect(apiRequests(from)[0]).toMatchObject({ method: 'GET', path: '/api_1.0/job.json', query: { $filter: "edit_date gt '2026-03-01 10:00:04'", cursor: '-1' } });

    const all = fake.requests.length;
    const { pages } = await listAll(connector, auth, settings, null);
    const pageRequests = apiRequests(all).filter((r) => r.path === '/api_1.0/job.json');
    expect(pageRequests.map((r) => r.query.cursor)).toEqual(['-1', ...Array.from({ length: pages - 1 }, () => expect.stringMatching(/^[0-9a-f-]{36}$/))]);
    expect(pageRequests.every((r) => r.query.$filter === undefined)).toBe(true);
  });

  test('`since` is inclusive at the second: a job stamped exactly at `since` is listed again', async () => {
    const [id] = fake.seedJobs(1);
    fake.changeJob(id!, { job_description: 'Edited' });
    const { jobs } = await listAll(connector, auth, settings, fake.now());
    expect(jobs.map((j) => j.externalId)).toEqual([id]);
  });

  test("maps the client's name, the address, the earliest booking, the booked and queued staff; status from status and recorded time", async () => {
    const [booked, started, quote, bare] = fake.seedJobs(4);
    const [ann, bo, cy] = [...fake.staff.keys()];
    fake.addActivity(booked!, bo!, '2026-01-20 07:15:00');
    fake.changeJob(booked!, { queue_assigned_staff_uuid: cy! });
    fake.addActivity(started!, ann!, '2026-01-06 09:00:00', 'recorded');
    fake.changeJob(quote!, { status: 'Quote' });
    for (const a of fake.activities.values()) if (a.job_uuid === bare) a.active = 0;
    fake.changeJob(bare!, { job_description: '', status: 'Unsuccessful' });

    const job = async (id: string) => (await connector.getJob(auth, settings, id))!;
    const first = await job(booked!);
    const raw = fake.jobs.get(booked!)!;
    expect(first).toMatchObject({
      externalId: booked,
      title: `Service call ${raw.generated_job_id}`,
      description: raw.job_description,
      customer: { externalId: raw.company_uuid, name: fake.companies.get(raw.company_uuid)!.name },
      address: raw.job_address,
      scheduledAt: '2026-01-20T07:15:00.000Z',
      status: 'open',
      deleted: false,
      updatedAt: `${raw.edit_date.replace(' ', 'T')}.000Z`,
    });
    const emails = [ann, bo, cy].map((u) => fake.staff.get(u!)!.email as string);
    expect(first.assigneeEmails).toEqual([...emails].sort());
    expect((await job(started!)).status).toBe('in_progress');
    expect((await job(quote!)).status).toBe('open');
    expect(await job(bare!)).toMatchObject({
      title: `Job #${fake.jobs.get(bare!)!.generated_job_id}`,
      scheduledAt: '2026-02-01T00:00:00.000Z', // no booking: the job's own date
      assigneeEmails: [],
      status: 'cancelled',
    });
  });

  test('is frugal: full pages cost a few list reads, never one per job or client; a few changed jobs cost a few requests', async () => {
    // Pages of a quarter of the jobs, so that every page is a full one (more than 10 jobs).
    fake.pageSize = Math.ceil(fake.jobs.size / 4);
    const from = fake.requests.length;
    const { jobs, pages } = await listAll(connector, auth, settings, null);
    const sent = apiRequests(from);
    expect(pages).toBe(4);
    expect(sent.filter((r) => /^\/api_1\.0\/company\/.+\.json$/.test(r.path) || /job_uuid/.test(r.query.$filter ?? ''))).toEqual([]);
    // Per page: the jobs, the clients, the staff, and the bookings (in pages of their own).
    expect(sent.length).toBeLessThanOrEqual(pages * (3 + Math.ceil(fake.activities.size / fake.pageSize)));
    expect(sent.length).toBeLessThan(jobs.length / 50);
    fake.pageSize = 500;

    // A handful of changed jobs: one lookup each, not whole lists.
    const since = (fake.tick(), fake.now());
    for (const id of [jobs[1]!, jobs[2]!, jobs[3]!].map((j) => j.externalId)) fake.changeJob(id, { job_description: 'Changed' });
    const few = fake.requests.length;
    expect((await listAll(connector, auth, settings, since)).jobs).toHaveLength(3);
    expect(apiRequests(few).length).toBeLessThanOrEqual(1 + 3 + 3 + 1);

    const one = fake.requests.length;
    const id = jobs[0]!.externalId;
    await connector.getJob(auth, settings, id);
    const paths = [`/api_1.0/job/${id}.json`, `/api_1.0/company/${fake.jobs.get(id)!.company_uuid}.json`, '/api_1.0/jobactivity.json', '/api_1.0/staff.json'];
    expect(apiRequests(one).map((r) => r.path).sort()).toEqual(paths.sort());
  });

  test('notes are POST /note.json {related_object, related_object_uuid, note}; the id comes from x-record-uuid', async () => {
    const [id] = fake.seedJobs(1);
    const from = fake.requests.length;
    const note = await connector.postJobNote(auth, settings, id!, 'Hello [taskhub:abc]');
    expect(apiRequests(from)[0]).toMatchObject({ method: 'POST', path: '/api_1.0/note.json', body: { related_object: 'job', related_object_uuid: id, note: 'Hello [taskhub:abc]' } });
    expect(fake.notes.get(note.noteId)).toMatchObject({ related_object_uuid: id, note: 'Hello [taskhub:abc]' });
    const read = fake.requests.length;
    await connector.findJobNotes(auth, settings, id!, '[taskhub:abc]');
    expect(apiRequests(read)[0]!.query).toEqual({ $filter: `related_object_uuid eq '${id}'`, cursor: '-1' });
  });

  test("the daily cap's 429 without Retry-After waits an hour; the minute's, a minute", async () => {
    const ask = () => connector.listChangedJobs(auth, settings, { since: null, pageToken: null }).then(
      () => null,
      (e: { details: { retryAfterMs?: number } }) => e.details.retryAfterMs,
    );
    fake.failNext(1, 429, { errorCode: 429, message: 'Number of allowed API requests per day exceeded' });
    expect(await ask()).toBe(3_600_000);
    fake.failNext(1, 429, { errorCode: 429, message: 'Number of allowed API requests per minute exceeded' });
    expect(await ask()).toBe(60_000);
  });

  test('the fake refuses, and records, what ServiceM8 would not take: a wrong note body, `ge`, a made-up path', async () => {
    const token = await auth.accessToken();
    const send = (path: string, init: RequestInit = {}) =>
      fetch(`${settings.baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });
    // Pipedream's note fields conflict with the spec (fsm-apis.md §1.4).
    expect((await send('/note.json', { method: 'POST', body: JSON.stringify({ job_uuid: randomUUID(), body: 'x' }) })).status).toBe(400);
    expect((await send(`/job.json?cursor=-1&%24filter=${encodeURIComponent("edit_date ge '2026-01-01 00:00:00'")}`)).status).toBe(400);
    expect((await send(`/customers/${randomUUID()}/jobs/${randomUUID()}/jobnotes`)).status).toBe(404);
    expect(fake.violations).toEqual([
      expect.stringContaining('body field "job_uuid" is not in NoteCreate'),
      expect.stringContaining('body field "body" is not in NoteCreate'),
      expect.stringContaining('is not "<field> eq|ne|gt|lt'),
      expect.stringContaining('no such route'),
    ]);
    fake.violations.length = 0;
  });

  describe('webhooks', () => {
    const withSecret = (delivery: { headers: Record<string, string>; rawBody: Buffer }, secret?: string) => ({ ...delivery, query: secret === undefined ? {} : { secret } });

    test('are verified by the shared secret in the callback URL, compared in constant time', () => {
      const delivery = fake.objectWebhook('Job', [randomUUID()], ['status']);
      expect(connector.verifyWebhook(withSecret(delivery, 'wh-secret-1'), 'wh-secret-1')).toBe(true);
      expect(connector.verifyWebhook(withSecret(delivery, 'wh-secret-2'), 'wh-secret-1')).toBe(false);
      expect(connector.verifyWebhook(withSecret(delivery, 'wh-secret'), 'wh-secret-1')).toBe(false);
      expect(connector.verifyWebhook(withSecret(delivery), 'wh-secret-1')).toBe(false);
      expect(connector.verifyWebhook(delivery, 'wh-secret-1')).toBe(false);
      expect(connector.verifyWebhook(withSecret(delivery, ''), '')).toBe(false);
    });

    test('the subscribe challenge is answered with the challenge, form-encoded or JSON', () => {
      const form = { headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: Buffer.from('mode=subscribe&challenge=c-4f2a91') };
      expect(connector.parseWebhook(form)).toEqual({ kind: 'challenge', response: 'c-4f2a91' });
      const json = { headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(JSON.stringify({ mode: 'subscribe', challenge: 'c-77' })) };
      expect(connector.parseWebhook(json)).toEqual({ kind: 'challenge', response: 'c-77' });
    });

    test('a job object webhook names the jobs to re-fetch, with a stable delivery id; other objects and junk are ignored', async () => {
      const [id] = fake.seedJobs(1);
      fake.completeJob(id!);
      const delivery = fake.objectWebhook('Job', [id!], ['status', 'completion_date']);
      const event = connector.parseWebhook(delivery);
      expect(event).toEqual({ kind: 'jobs_changed', externalJobIds: [id], deliveryId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
      expect(connector.parseWebhook(delivery)).toEqual(event);
      expect(connector.parseWebhook(fake.objectWebhook('Job', [id!], ['status']))).not.toEqual(event); // a later change is a new delivery
      expect((await connector.getJob(auth, settings, id!))?.status).toBe('completed');

      expect(connector.parseWebhook(fake.objectWebhook('Company', [randomUUID()], ['name']))).toEqual({ kind: 'ignored' });
      expect(connector.parseWebhook({ headers: {}, rawBody: Buffer.from('not json') })).toEqual({ kind: 'ignored' });
    });

    test('an event webhook (the spec’s WebhookEvent) for a job names it too', () => {
      const body = { event_type: 'job.completed', timestamp: '2026-03-01T10:00:00Z', data: { uuid: 'b7c0a3f2-1d1e-4c1b-9a57-2f0e8b1d5c11' } };
      expect(connector.parseWebhook({ headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(JSON.stringify(body)) })).toMatchObject({
        kind: 'jobs_changed',
        externalJobIds: ['b7c0a3f2-1d1e-4c1b-9a57-2f0e8b1d5c11'],
      });
    });
  });
});
