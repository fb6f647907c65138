/**
 * The Commusoft connector against the fake Commusoft. There is no vendor
 * specification to check requests or answers against (fsm-apis.md §4: the
 * Apiary docs are not public, the one machine-readable spec is third-party
 * and generated, and has no jobs or notes). The fake speaks the connector's
 * documented guesses, and these tests pin down that every guess is
 * configuration, so the real shapes can be set without code changes.
 */
import { createCommusoftConnector, getCommusoftToken } from '../../connectors/commusoft';
import type { ConnectionSettings, TokenSource } from '../../connectors/types';
import { COMMUSOFT_BASE_PATH, FakeCommusoft } from '../fakes/commusoft';
import { describeConnectorContract, failure } from './connector-contract';

let fake: FakeCommusoft;
let settings: ConnectionSettings;
const connector = createCommusoftConnector();
const SECRET = 'webhook-secret-of-this-integration';

/** Connects as a tenant admin would: the credentials entered now are the ones every later re-login uses. */
async function login() {
  const credentials = { ...fake.credentials };
  let token = await getCommusoftToken(settings.baseUrl, credentials);
  const state = { refreshes: 0 };
  const source: TokenSource = {
    accessToken: async () => token,
    // No refresh token in Commusoft's scheme: after a 401, log in again.
    refresh: async () => {
      state.refreshes++;
      token = await getCommusoftToken(settings.baseUrl, credentials);
      return token;
    },
  };
  return { source, state };
}

beforeAll(async () => {
  fake = new FakeCommusoft();
  settings = { baseUrl: `${await fake.start()}${COMMUSOFT_BASE_PATH}` };
});
afterAll(() => fake.stop());

describe('contract', () => {
  describeConnectorContract(async () => ({
    fake,
    connector,
    settings,
    login,
    violations: () => fake.violations,
    seedJobs: (n) => fake.seedJobs(n),
    mark: () => fake.records.tick(),
    changeJob: (id, description) => fake.changeJob(id, { description }),
    completeJob: (id) => fake.completeJob(id),
    deleteJob: (id) => fake.deleteJob(id),
    missingJobId: () => '00000000-0000-4000-8000-000000000000',
    noteCount: (id) => fake.notesOf(id).length,
    rejectNext: (message) => fake.rejectNextNote(message),
    deletedJobsListed: true,
  }));
});

describe('Commusoft', () => {
  let auth: TokenSource;
  beforeEach(async () => {
    fake.records.reset();
    auth = (await login()).source;
  });
  afterEach(() => {
    fake.clearFaults();
    fake.listEnvelope = null;
    expect(fake.violations).toEqual([]);
  });

  test('login: POST /getToken with the four fields answers a plain-text token, sent as X-Auth-Token', async () => {
    const token = await getCommusoftToken(settings.baseUrl, fake.credentials);
    expect(token).toMatch(/^at-/);
    const sent = fake.requests.filter((r) => r.path.endsWith('/getToken')).at(-1);
    expect(sent!.body).toEqual(fake.credentials);
    const [id] = fake.seedJobs(1);
    await connector.getJob({ accessToken: async () => token, refresh: async () => token }, settings, id!);
    expect(fake.requests.at(-1)!.headers['x-auth-token']).toBe(token);
  });

  test('refused credentials are auth_revoked: a reconnect with new ones is needed', async () => {
    expect((await failure(getCommusoftToken(settings.baseUrl, { ...fake.credentials, password: 'wrong' }))).kind).toBe('auth_revoked');
  });

  test('maps the guessed job shape: status, soft delete, customer, address, schedule and engineers', async () => {
    const [open, closed, cancelled, started, deleted] = fake.seedJobs(5);
    fake.changeJob(open!, {
      customer: { uuid: 'c-1', firstName: 'Sam', lastName: 'Holloway', companyName: null },
      diaryEvents: [
        { uuid: 'd-2', startDateTime: '2026-03-02T08:00:00Z', engineer: { uuid: 'e-1', email: 'Dave@Example.com' } },
        { uuid: 'd-1', startDateTime: '2026-03-01T08:00:00Z', engineer: { uuid: 'e-2', email: 'erin@example.com' } },
      ],
    });
    fake.completeJob(closed!);
    fake.changeJob(cancelled!, { status: 'Cancelled' });
    fake.changeJob(started!, { status: 'In Progress' });
    fake.deleteJob(deleted!);

    const { jobs } = await connector.listChangedJobs(auth, settings, { since: null, pageToken: null });
    const byId = new Map(jobs.map((j) => [j.externalId, j]));
    expect(byId.get(open!)).toMatchObject({
      customer: { externalId: 'c-1', name: 'Sam Holloway' },
      scheduledAt: '2026-03-01T08:00:00Z',
      assigneeEmails: ['dave@example.com', 'erin@example.com'],
      status: 'open',
    });
    expect(byId.get(open!)!.address).toMatch(/^\d+ Oak Street, Bristol, Avon, BS1 4DJ, United Kingdom$/);
    expect(byId.get(closed!)!.status).toBe('completed');
    expect(byId.get(cancelled!)!.status).toBe('cancelled');
    expect(byId.get(started!)!.status).toBe('in_progress');
    expect(byId.get(deleted!)).toMatchObject({ deleted: true, status: 'cancelled' });
    // Status names are configuration.
    const custom = createCommusoftConnector({ statusMap: { cancelled: 'completed' } });
    expect((await custom.getJob(auth, settings, cancelled!))!.status).toBe('completed');
  });

  test('an answer of another shape fails loudly, naming the field, instead of importing empty tasks', async () => {
    const [id] = fake.seedJobs(1);
    delete (fake.jobs.get(id!) as { updatedAt?: string }).updatedAt;
    const error = await failure(connector.getJob(auth, settings, id!));
    expect(error.kind).toBe('transient');
    expect(error.message).toContain('/updatedAt');
    fake.listEnvelope = 'data';
    expect((await failure(connector.listChangedJobs(auth, settings, { since: null, pageToken: null }))).message).toContain('not an array');
  });

  test('a list inside an envelope is configuration (listKey)', async () => {
    const ids = fake.seedJobs(3);
    fake.listEnvelope = 'data';
    const enveloped = createCommusoftConnector({ listKey: 'data' });
    const { jobs } = await enveloped.listChangedJobs(auth, settings, { since: null, pageToken: null });
    expect(jobs.map((j) => j.externalId)).toEqual(ids);
    const note = await enveloped.postJobNote(auth, settings, ids[0]!, 'in an envelope [m]');
    expect(await enveloped.findJobNotes(auth, settings, ids[0]!, '[m]')).toEqual([note]);
  });

  test('paths, parameters and the note body are configuration', async () => {
    const [id] = fake.seedJobs(1);
    const custom = createCommusoftConnector({
      jobsPath: '/work-orders',
      modifiedSinceParam: 'changedAfter',
      pageParam: 'p',
      pageSizeParam: 'n',
      pageSize: 25,
      listQuery: { sort: '-modified' },
      notesPath: '/work-orders/{uuid}/comments',
      noteField: 'text',
    });
    await failure(custom.listChangedJobs(auth, settings, { since: '2026-01-01T00:00:00Z', pageToken: null }));
    expect(fake.requests.at(-1)).toMatchObject({
      path: `${COMMUSOFT_BASE_PATH}/work-orders`,
      query: { changedAfter: '2026-01-01T00:00:00Z', p: '1', n: '25', sort: '-modified' },
    });
    await failure(custom.postJobNote(auth, settings, id!, 'hello'));
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: `${COMMUSOFT_BASE_PATH}/work-orders/${id}/comments`, body: { text: 'hello' } });
    fake.violations.splice(0); // the fake has no such routes, on purpose
  });

  test('webhooks: the shared secret in its header, compared in constant time; the body names the job', () => {
    const delivery = fake.webhook('job-1', SECRET);
    expect(connector.verifyWebhook(delivery, SECRET)).toBe(true);
    expect(connector.verifyWebhook(fake.webhook('job-1', 'guess'), SECRET)).toBe(false);
    expect(connector.verifyWebhook({ ...delivery, headers: {} }, SECRET)).toBe(false);
    expect(connector.verifyWebhook(delivery, '')).toBe(false);
    const { id } = JSON.parse(delivery.rawBody.toString()) as { id: string };
    expect(connector.parseWebhook(delivery)).toEqual({ kind: 'jobs_changed', externalJobIds: ['job-1'], deliveryId: id });
    expect(connector.parseWebhook({ headers: {}, rawBody: Buffer.from('{"event":"customer.created","customerUuid":"c"}') })).toEqual({ kind: 'ignored' });
    expect(connector.parseWebhook({ headers: {}, rawBody: Buffer.from('<xml/>') })).toEqual({ kind: 'ignored' });
    // The header's name is configuration too.
    const renamed = createCommusoftConnector({ webhookSecretHeader: 'X-Our-Secret' });
    expect(renamed.verifyWebhook({ headers: { 'x-our-secret': SECRET }, rawBody: delivery.rawBody }, SECRET)).toBe(true);
  });
});
