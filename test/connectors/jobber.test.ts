/**
 * The Jobber connector against the fake Jobber. Every GraphQL document the
 * connector sends is validated against Jobber's official introspection
 * (../shared/vendor, 2022-03-10) with graphql-js: by the fake as it answers,
 * and once more over the whole request log at the end.
 */
import type { GraphQLSchema } from 'graphql';
import { throttleWaitMs } from '../../connectors/jobber/api';
import { JOBBER_DEFAULTS, createJobberConnector, jobberOAuthSettings } from '../../connectors/jobber';
import { type OAuthSettings, jwtExpiry, refreshTokens } from '../../connectors/oauth';
import type { ConnectionSettings, TokenSource, WebhookRequest } from '../../connectors/types';
import { FakeJobber, documentErrors, loadJobberSchema } from '../fakes/jobber';
import { connect, describeConnectorContract, failure, listAll, onFake, tokenSource } from './connector-contract';

let schema: GraphQLSchema;
let fake: FakeJobber;
let oauth: OAuthSettings;
let settings: ConnectionSettings;
const connector = createJobberConnector();

beforeAll(async () => {
  schema = loadJobberSchema();
  // A bucket large enough for the 2,000-job listing; the throttling test drains it.
  fake = new FakeJobber({ schema, queryBudget: { maximumAvailable: 1_000_000, restoreRate: 500 } });
  const url = await fake.start();
  oauth = jobberOAuthSettings(
    { clientId: fake.clientId, clientSecret: fake.clientSecret },
    { authorizeUrl: onFake(JOBBER_DEFAULTS.authorizeUrl, url), tokenUrl: onFake(JOBBER_DEFAULTS.tokenUrl, url) },
  );
  settings = { baseUrl: onFake(JOBBER_DEFAULTS.baseUrl, url) };
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
    mark: () => fake.records.tick(),
    changeJob: (id, description) => fake.changeJob(id, { instructions: description }),
    completeJob: (id) => fake.completeJob(id),
    deleteJob: (id) => fake.deleteJob(id),
    missingJobId: () => Buffer.from('gid://Jobber/Job/999999999').toString('base64'),
    noteCount: (id) => fake.notesOf(id).length,
    rejectNext: (message) => fake.rejectNextNote(message),
    deletedJobsListed: false,
  }));
});

describe('Jobber', () => {
  let auth: TokenSource;
  let refreshes: () => number;
  beforeEach(async () => {
    fake.records.reset();
    const { source, state } = tokenSource(oauth, await connect(oauth));
    auth = source;
    refreshes = () => state.refreshes;
  });
  afterEach(() => {
    fake.clearFaults();
    expect(fake.violations).toEqual([]);
  });

  test('OAuth: a JWT access token whose exp is the expiry; rotated refresh tokens; the old one is dead', async () => {
    const first = await connect(oauth);
    expect(first.expiresAt).toEqual(jwtExpiry(first.accessToken));
    expect(first.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3500_000);

    const rotated = await refreshTokens(oauth, first.refreshToken!);
    expect(rotated.refreshToken).not.toBe(first.refreshToken);
    expect((await failure(refreshTokens(oauth, first.refreshToken!))).kind).toBe('auth_revoked');
    expect(await connector.listChangedJobs({ accessToken: async () => rotated.accessToken, refresh: async () => '' }, settings, { since: null, pageToken: null })).toEqual({ jobs: [], nextPageToken: null });
  });

  test('"User has disconnected this app" is auth_revoked at once, without a refresh', async () => {
    fake.failNext(1, 401, { message: 'User has disconnected this app from their account. Please delete this token' });
    expect((await failure(connector.getJob(auth, settings, 'x'))).kind).toBe('auth_revoked');
    expect(refreshes()).toBe(0);
  });

  test('maps status, customer, address, schedule and assignees from the job and its visits', async () => {
    const [open, started, invoicing, archived] = fake.seedJobs(4);
    fake.changeJob(open!, {
      title: null,
      client: { id: 'C1', firstName: 'Pat', lastName: 'Doe', companyName: 'Doe Heating Ltd' },
      startAt: null,
      visits: [
        { startAt: '2026-03-02T08:00:00Z', isComplete: false, assignedEmails: [' Bob@Example.com', 'carol@example.com'] },
        { startAt: '2026-03-01T08:00:00Z', isComplete: false, assignedEmails: ['bob@example.com'] },
      ],
    });
    fake.changeJob(started!, { jobStatus: 'today', visits: [{ startAt: '2026-02-01T09:00:00Z', isComplete: true, assignedEmails: [] }, { startAt: null, isComplete: false, assignedEmails: [] }] });
    fake.changeJob(invoicing!, { jobStatus: 'requires_invoicing' });
    fake.completeJob(archived!);

    const job = async (id: string) => (await connector.getJob(auth, settings, id))!;
    const first = await job(open!);
    expect(first).toMatchObject({
      title: `Job #${fake.jobs.get(open!)!.jobNumber}`,
      customer: { externalId: 'C1', name: 'Doe Heating Ltd' },
      scheduledAt: '2026-03-01T08:00:00Z',
      status: 'open',
    });
    expect(first.assigneeEmails).toEqual(['bob@example.com', 'carol@example.com']);
    expect(first.address).toMatch(/^\d+ Oak Street, Leeds, West Yorkshire, LS1 1AA, United Kingdom$/);
    expect((await job(started!)).status).toBe('in_progress');
    expect((await job(invoicing!)).status).toBe('completed');
    expect((await job(archived!)).status).toBe('completed');
  });

  test("the account the token belongs to: what Jobber's webhooks name as accountId", async () => {
    expect(await connector.accountId!(auth, settings)).toBe(fake.accountId);
  });

  test('a destroyed job: its JOB_DESTROY webhook names it, and getJob answers null', async () => {
    const [id] = fake.seedJobs(1);
    fake.deleteJob(id!);
    const delivery = fake.webhook('JOB_DESTROY', id!);
    expect(connector.verifyWebhook(delivery, fake.clientSecret)).toBe(true);
    expect(connector.parseWebhook(delivery)).toMatchObject({ kind: 'jobs_changed', externalJobIds: [id] });
    expect(await connector.getJob(auth, settings, id!)).toBeNull();
  });

  test('a job changed mid-listing is missed by that pass and found by the next, which starts at the newest updatedAt seen', async () => {
    const ids = fake.seedJobs(30);
    const paged = createJobberConnector({ pageSize: 10 });
    const first = await paged.listChangedJobs(auth, settings, { since: null, pageToken: null });
    const highWater = first.jobs[0]!.updatedAt;
    const unread = ids[0]!; // the oldest: on the last page, not read yet
    fake.changeJob(unread, { title: 'Changed during the import' });
    const seen = new Set(first.jobs.map((j) => j.externalId));
    for (let pageToken = first.nextPageToken; pageToken; ) {
      const page = await paged.listChangedJobs(auth, settings, { since: null, pageToken });
      for (const j of page.jobs) seen.add(j.externalId);
      pageToken = page.nextPageToken;
    }
    // The changed job jumped to the front, behind the pages read; the jobs it passed moved down, none was skipped.
    expect(seen.has(unread)).toBe(false);
    expect(ids.filter((id) => id !== unread).every((id) => seen.has(id))).toBe(true);
    const next = await listAll(paged, auth, settings, highWater);
    expect(next.jobs.find((j) => j.externalId === unread)).toMatchObject({ title: 'Changed during the import' });
  });

  test('`since` is inclusive at the second: a job stamped exactly at `since` is listed again', async () => {
    const ids = fake.seedJobs(5);
    const newest = fake.jobs.get(ids[4]!)!.updatedAt;
    const { jobs, pages } = await listAll(connector, auth, settings, newest);
    expect(jobs.map((j) => j.externalId)).toEqual([ids[4]]);
    expect(pages).toBe(1);
  });

  test('THROTTLED is rate_limited, retryAfterMs from the requested cost and the restore rate', async () => {
    fake.seedJobs(3);
    fake.drainQueryBudget(100);
    const throttled = await failure(connector.listChangedJobs(auth, settings, { since: null, pageToken: null }));
    const cost = fake.lastCost!;
    expect(throttled.kind).toBe('rate_limited');
    expect(throttled.details.retryAfterMs).toBe(throttleWaitMs(cost));
    expect(throttled.details.retryAfterMs).toBe(Math.ceil(((cost.requestedQueryCost - cost.throttleStatus.currentlyAvailable) / 500) * 1000));
    expect(throttled.details.retryAfterMs).toBeGreaterThan(0);
  });

  test('userErrors are payload_rejected with their messages', async () => {
    const [id] = fake.seedJobs(1);
    const rejected = await failure(connector.postJobNote(auth, settings, id!, '   '));
    expect(rejected.kind).toBe('payload_rejected');
    expect(rejected.message).toContain("input.message: Message can't be blank");
    expect(fake.notesOf(id!)).toEqual([]);
  });

  test('notes on a job that is gone: not_found', async () => {
    expect((await failure(connector.postJobNote(auth, settings, 'Z2lkOi8vSm9iYmVyL0pvYi85OTk=', 'hello'))).kind).toBe('not_found');
    expect((await failure(connector.findJobNotes(auth, settings, 'Z2lkOi8vSm9iYmVyL0pvYi85OTk=', 'x'))).kind).toBe('not_found');
  });

  test('findJobNotes reads every page of the notes connection', async () => {
    const [id] = fake.seedJobs(1);
    const paged = createJobberConnector({ notesPageSize: 2 });
    for (const n of [1, 2, 3, 4, 5]) await paged.postJobNote(auth, settings, id!, `note ${n}${n === 5 ? ' [m]' : ''}`);
    expect((await paged.findJobNotes(auth, settings, id!, '[m]')).map((n) => n.text)).toEqual(['note 5 [m]']);
  });

  test('the version header is configuration', async () => {
    fake.seedJobs(1);
    await createJobberConnector({ graphqlVersion: '2025-04-16' }).listChangedJobs(auth, settings, { since: null, pageToken: null });
    expect(fake.requests.at(-1)!.headers['x-jobber-graphql-version']).toBe('2025-04-16');
  });

  test('webhooks: the HMAC of the raw body under the client secret; anything else fails', () => {
    const good = fake.webhook('JOB_UPDATE', 'Z2lkOi8vSm9iYmVyL0pvYi8x');
    expect(connector.verifyWebhook(good, fake.clientSecret)).toBe(true);
    const tampered: WebhookRequest = { ...good, rawBody: Buffer.from(good.rawBody.toString().replace('JOB_UPDATE', 'JOB_CREATE')) };
    expect(connector.verifyWebhook(tampered, fake.clientSecret)).toBe(false);
    expect(connector.verifyWebhook(fake.webhook('JOB_UPDATE', 'x', 'another-secret'), fake.clientSecret)).toBe(false);
    expect(connector.verifyWebhook({ ...good, headers: { ...good.headers, 'x-jobber-hmac-sha256': 'short' } }, fake.clientSecret)).toBe(false);
    expect(connector.verifyWebhook({ ...good, headers: {} }, fake.clientSecret)).toBe(false);
    expect(connector.verifyWebhook(good, '')).toBe(false);
  });

  test('webhooks: JOB_* names the job (and the account) with a stable delivery id; APP_DISCONNECT disconnects; other topics and junk are ignored', () => {
    const delivery = fake.webhook('JOB_UPDATE', 'Z2lkOi8vSm9iYmVyL0pvYi8x');
    const event = connector.parseWebhook(delivery);
    expect(event).toMatchObject({ kind: 'jobs_changed', externalJobIds: ['Z2lkOi8vSm9iYmVyL0pvYi8x'], accountId: fake.accountId });
    expect(connector.parseWebhook(delivery)).toEqual(event); // a redelivery is recognisable
    const disconnect = fake.webhook('APP_DISCONNECT', fake.accountId, undefined, fake.accountId, '2026-05-01T10:00:00Z');
    expect(connector.parseWebhook(disconnect)).toEqual({
      kind: 'disconnected',
      reason: expect.stringContaining('APP_DISCONNECT'),
      occurredAt: '2026-05-01T10:00:00Z',
      deliveryId: `APP_DISCONNECT:${fake.accountId}:2026-05-01T10:00:00Z`,
      accountId: fake.accountId,
    });
    expect(connector.parseWebhook(fake.webhook('CLIENT_UPDATE', 'x'))).toEqual({ kind: 'ignored', accountId: fake.accountId });
    expect(connector.parseWebhook({ headers: {}, rawBody: Buffer.from('not json') })).toEqual({ kind: 'ignored' });
    // The schema's WebHookPayload spells it `occuredAt`.
    const misspelt = { data: { webHookEvent: { topic: 'JOB_CREATE', itemId: 'J', occuredAt: '2026-01-01T00:00:00Z' } } };
    expect(connector.parseWebhook({ headers: {}, rawBody: Buffer.from(JSON.stringify(misspelt)) })).toEqual({
      kind: 'jobs_changed',
      externalJobIds: ['J'],
      deliveryId: 'JOB_CREATE:J:2026-01-01T00:00:00Z',
    });
  });

  test('the fake answers documents outside the schema, and operations it does not implement, with GraphQL errors', async () => {
    const post = async (query: string) => {
      const res = await fetch(settings.baseUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${await auth.accessToken()}`, 'content-type': 'application/json', 'x-test-probe': '1' },
        body: JSON.stringify({ query }),
      });
      return (await res.json()) as { errors?: { message: string }[] };
    };
    expect((await post('{ jobs { nodes { noSuchField } } }')).errors?.[0]?.message).toMatch(/noSuchField/);
    expect((await post('{ clients(first: 1) { nodes { id } } }')).errors?.[0]?.message).toMatch(/does not implement clients/);
    fake.violations.splice(0); // provoked on purpose
  });
});

// Last, over everything the connector sent in this file.
test('every document sent is valid against Jobber’s schema, and carries the pinned version header', () => {
  const sent = fake.requests.filter((r) => r.path === '/api/graphql' && !r.headers['x-test-probe']);
  expect(sent.length).toBeGreaterThan(50);
  const documents = new Set(sent.map((r) => (r.body as { query: string }).query));
  for (const query of documents) expect(documentErrors(schema, query)).toEqual([]);
  const versions = new Set(sent.map((r) => r.headers['x-jobber-graphql-version']));
  expect(versions).toEqual(new Set([JOBBER_DEFAULTS.graphqlVersion, '2025-04-16']));
});
