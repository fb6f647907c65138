/**
 * The Simpro connector against the fake Simpro build. Simpro's Swagger is not
 * among ../shared/vendor's specifications, so the fake follows fsm-apis.md §2
 * exactly (paths, columns, paging headers, filters, note bodies, error
 * envelope) and records every request that strays from it; `violations`
 * must stay empty after each test. The webhook signature scheme is an
 * unverified assumption (see connectors/simpro/webhook.ts).
 */
import { createHmac } from 'node:crypto';
import { type OAuthSettings, authorizeUrl } from '../../connectors/oauth';
import { createSimproConnector, simproDefaults } from '../../connectors/simpro';
import { JOB_COLUMNS } from '../../connectors/simpro/mappers';
import type { ConnectionSettings, TokenSource } from '../../connectors/types';
import { FakeSimpro, SIMPRO_API_PREFIX, simproError } from '../fakes/simpro';
import { REDIRECT_URI, connect, describeConnectorContract, listAll, tokenSource } from './connector-contract';

const connector = createSimproConnector();
let fake: FakeSimpro;
let settings: ConnectionSettings;
let oauth: OAuthSettings;

beforeAll(async () => {
  fake = new FakeSimpro();
  const build = simproDefaults(await fake.start()); // the fake's origin stands in for https://{build}.simprosuite.com
  settings = { baseUrl: build.baseUrl, companyId: build.companyId };
  oauth = { provider: 'simpro', clientId: fake.clientId, clientSecret: fake.clientSecret, authorizeUrl: build.authorizeUrl, tokenUrl: build.tokenUrl };
});
afterAll(() => fake.stop());

describe('contract', () => {
  describeConnectorContract(async () => ({
    fake,
    connector,
    settings,
    oauth,
    violations: () => fake.violations,
    seedJobs: (n) => fake.seedJobs(n).map(String),
    mark: () => fake.tick(),
    changeJob: (id, description) => fake.changeJob(Number(id), { Description: `<p>${description}</p>` }),
    completeJob: (id) => fake.completeJob(Number(id)),
    deleteJob: (id) => fake.deleteJob(Number(id)),
    missingJobId: () => '999999999',
    noteCount: (id) => fake.notes.get(Number(id))?.length ?? 0,
    // Simpro's validation error: 422, "body contains invalid data".
    rejectNext: (message) => fake.failNext(1, 422, simproError(`${SIMPRO_API_PREFIX}/companies/0/jobs/1/notes/`, message, 'Note')),
    deletedJobsListed: false,
  }));
});

describe('Simpro', () => {
  let auth: TokenSource;
  const apiRequests = (from: number) => fake.requests.slice(from).filter((r) => r.path.startsWith(SIMPRO_API_PREFIX));
  const job = async (id: number) => (await connector.getJob(auth, settings, String(id)))!;

  beforeAll(async () => {
    auth = tokenSource(oauth, await connect(oauth)).source;
  });
  afterEach(() => {
    fake.clearFaults();
    expect(fake.violations).toEqual([]);
  });

  test('defaults are per build: {build}.simprosuite.com, or a self-hosted origin', () => {
    expect(simproDefaults('acme')).toEqual({
      baseUrl: 'https://acme.simprosuite.com/api/v1.0',
      authorizeUrl: 'https://acme.simprosuite.com/oauth2/login',
      tokenUrl: 'https://acme.simprosuite.com/oauth2/token',
      companyId: '0',
    });
    expect(simproDefaults('https://simpro.example.com/').baseUrl).toBe('https://simpro.example.com/api/v1.0');
    expect(simproDefaults('acme.simprosuite.com').tokenUrl).toBe('https://acme.simprosuite.com/oauth2/token');
  });

  test('authorizes at /oauth2/login with the client id and no scopes, and exchanges the code at /oauth2/token', async () => {
    const url = new URL(authorizeUrl(oauth, REDIRECT_URI, 'st'));
    expect(url.pathname).toBe('/oauth2/login');
    expect(Object.fromEntries(url.searchParams)).toEqual({ client_id: fake.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', state: 'st' });
    const from = fake.requests.length;
    await connect(oauth);
    expect(fake.requests.slice(from).find((r) => r.method === 'POST')).toMatchObject({ path: '/oauth2/token', body: { grant_type: 'authorization_code' } });
  });

  test('lists newest first with the columns it maps, 250 a page, and DateModified=gt(since − 1 s)', async () => {
    const from = fake.requests.length;
    await connector.listChangedJobs(auth, settings, { since: '2026-03-01T10:00:05.000Z', pageToken: null });
    expect(apiRequests(from)[0]).toMatchObject({
      method: 'GET',
      path: '/api/v1.0/companies/0/jobs/',
      query: { columns: JOB_COLUMNS.join(','), orderby: '-DateModified', pageSize: '250', page: '1', DateModified: 'gt(2026-03-01T10:00:04+00:00)' },
    });
  });

  test('a page token carries its listing: a resumed listing asks the same query for the next page', async () => {
    fake.seedJobs(3);
    const first = await connector.listChangedJobs(auth, settings, { since: '2026-01-01T00:00:00Z', pageToken: null, pageSize: 2 });
    const from = fake.requests.length;
    await connector.listChangedJobs(auth, settings, { since: null, pageToken: first.nextPageToken, pageSize: 250 });
    expect(apiRequests(from)[0]!.query).toMatchObject({ DateModified: 'gt(2025-12-31T23:59:59+00:00)', pageSize: '2', page: '2' });
  });

  test('newest first loses nothing when jobs change mid-listing; the next listing from the newest updatedAt seen catches them', async () => {
    const since = fake.tick();
    const ids = fake.seedJobs(30);
    for (const id of ids) fake.changeJob(id, {}); // distinct, ascending DateModified
    const first = await connector.listChangedJobs(auth, settings, { since, pageToken: null, pageSize: 10 });
    expect(first.jobs.map((j) => j.externalId)).toEqual(ids.slice(20).reverse().map(String));
    const highWater = first.jobs[0]!.updatedAt;

    const [read, unread] = [ids[25]!, ids[5]!];
    fake.changeJob(read, { Name: 'Changed after it was read' });
    fake.changeJob(unread, { Name: 'Changed before it was read' });
    const seen = new Set(first.jobs.map((j) => j.externalId));
    for (let pageToken = first.nextPageToken; pageToken; ) {
      const page = await connector.listChangedJobs(auth, settings, { since, pageToken });
      for (const j of page.jobs) seen.add(j.externalId);
      pageToken = page.nextPageToken;
    }
    expect(ids.filter((id) => id !== unread).every((id) => seen.has(String(id)))).toBe(true);

    // (`since` is inclusive at the second: the job at the high-water mark comes again too.)
    const next = await listAll(connector, auth, settings, highWater);
    expect(next.jobs.map((j) => [j.externalId, j.title]).sort()).toEqual(
      [
        [String(read), 'Changed after it was read'],
        [String(unread), 'Changed before it was read'],
        [first.jobs[0]!.externalId, first.jobs[0]!.title],
      ].sort(),
    );
  });

  test('maps the description to plain text, the customer, the site address, the due date, technicians by email', async () => {
    // The fake's customers: every fifth is a person, the others companies.
    const [individual, company] = fake.seedJobs(2);
    type RawJob = { Customer: { ID: number; CompanyName: string }; Site: { ID: number }; DueDate: string; Technicians: { ID: number }[]; DateModified: string };
    const raw = fake.jobs.get(company!)! as unknown as RawJob;
    const site = fake.sites.get(raw.Site.ID)! as unknown as { Name: string };
    const tech = fake.employees.get(raw.Technicians[0]!.ID)! as unknown as { PrimaryContact: { Email: string } };
    expect(await job(company!)).toEqual({
      externalId: String(company),
      title: `Service call ${company}`,
      description: 'Check the unit & report.\nGate code 1234',
      customer: { externalId: String(raw.Customer.ID), name: raw.Customer.CompanyName },
      address: `${site.Name}, Sydney NSW 2000, Australia`,
      scheduledAt: `${raw.DueDate}T00:00:00.000Z`,
      assigneeEmails: [tech.PrimaryContact.Email],
      status: 'open',
      deleted: false,
      updatedAt: new Date(raw.DateModified).toISOString(),
    });
    expect(raw.DateModified).toMatch(/\+10:00$/);
    expect((await job(individual!)).customer).toEqual({ externalId: '5000', name: 'Pat Nguyen 0' });
  });

  test('stages: Pending open, Progress in progress, Complete and Invoiced completed, Archived cancelled unless completed first', async () => {
    const [pending, progress, complete, invoiced, archived, archivedDone] = fake.seedJobs(6);
    fake.changeJob(progress!, { Stage: 'Progress' });
    fake.completeJob(complete!);
    fake.changeJob(invoiced!, { Stage: 'Invoiced', CompletedDate: '2026-01-04' });
    fake.changeJob(archived!, { Stage: 'Archived' });
    fake.changeJob(archivedDone!, { Stage: 'Archived', CompletedDate: '2026-01-03' });
    const statuses = await Promise.all([pending, progress, complete, invoiced, archived, archivedDone].map(async (id) => (await job(id!)).status));
    expect(statuses).toEqual(['open', 'in_progress', 'completed', 'completed', 'cancelled', 'completed']);
  });

  test('is frugal: full pages cost list reads only, never one per site or technician; one job costs three requests', async () => {
    const since = fake.tick();
    fake.seedJobs(600);
    const from = fake.requests.length;
    const { jobs, pages } = await listAll(connector, auth, settings, since);
    expect([jobs.length, pages]).toEqual([600, 3]);
    const sent = apiRequests(from);
    expect(sent.filter((r) => /\/(sites|employees)\/\d+$/.test(r.path))).toEqual([]);
    // Per page: the jobs, the employee list, and the site list (in pages of 250).
    expect(sent.length).toBeLessThanOrEqual(pages * (2 + Math.ceil(fake.sites.size / 250)));

    const one = fake.requests.length;
    const id = Number(jobs[0]!.externalId);
    await connector.getJob(auth, settings, String(id));
    const siteId = (fake.jobs.get(id)!.Site as { ID: number }).ID;
    expect(apiRequests(one).map((r) => r.path).sort()).toEqual(
      [`/api/v1.0/companies/0/jobs/${id}`, `/api/v1.0/companies/0/sites/${siteId}`, '/api/v1.0/companies/0/employees/'].sort(),
    );
  });

  test('notes: POST …/jobs/{id}/notes/ with {Subject, Note}, the text escaped as HTML; read back as the same plain text', async () => {
    const [id] = fake.seedJobs(1);
    const text = 'Session <summary> & results\nAll checks passed. [taskhub:s-1]';
    const from = fake.requests.length;
    const note = await connector.postJobNote(auth, settings, String(id), text);
    expect(apiRequests(from)[0]).toMatchObject({
      method: 'POST',
      path: `/api/v1.0/companies/0/jobs/${id}/notes/`,
      body: { Subject: 'Session <summary> & results', Note: 'Session &lt;summary&gt; &amp; results<br />All checks passed. [taskhub:s-1]' },
    });
    expect(await connector.findJobNotes(auth, settings, String(id), '[taskhub:s-1]')).toEqual([{ noteId: note.noteId, text }]);
  });

  test('every path is under the integration’s company', async () => {
    fake.companyIds.add('2');
    const [id] = fake.seedJobs(1);
    const from = fake.requests.length;
    await connector.getJob(auth, { ...settings, companyId: '2' }, String(id));
    expect(apiRequests(from).every((r) => r.path.startsWith('/api/v1.0/companies/2/'))).toBe(true);
  });

  test('the fake refuses, and records, what fsm-apis.md says Simpro would not take', async () => {
    const token = await auth.accessToken();
    const send = (path: string, init: RequestInit = {}) =>
      fetch(`${settings.baseUrl}/companies/0${path}`, { ...init, headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'content-type': 'application/json', ...init.headers } });
    expect((await send('/jobs')).status).toBe(404); // no trailing slash
    expect((await send('/jobs/?pageSize=500')).status).toBe(400);
    expect((await send('/jobs/?columns=ID,Nope')).status).toBe(400);
    const [id] = fake.seedJobs(1);
    const refused = await send(`/jobs/${id}/notes/`, { method: 'POST', body: JSON.stringify({ Note: 'x', Message: 'y' }) });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ status: 'error', data: { errors: [{ message: 'Message is not a job note field' }] } });
    expect(fake.violations).toHaveLength(4);
    fake.violations.length = 0;
  });

  describe('webhooks', () => {
    test('verified by the assumed X-Simpro-Signature: HMAC-SHA256 of the raw body, hex or base64; anything else fails', () => {
      const delivery = fake.webhook('job.status', 300555, 'sub-secret');
      expect(connector.verifyWebhook(delivery, 'sub-secret')).toBe(true);
      const base64 = createHmac('sha256', 'sub-secret').update(delivery.rawBody).digest('base64');
      expect(connector.verifyWebhook({ ...delivery, headers: { ...delivery.headers, 'x-simpro-signature': base64 } }, 'sub-secret')).toBe(true);
      expect(connector.verifyWebhook({ ...delivery, headers: { ...delivery.headers, 'x-simpro-signature': `sha256=${base64}` } }, 'sub-secret')).toBe(true);
      expect(connector.verifyWebhook(delivery, 'another-secret')).toBe(false);
      expect(connector.verifyWebhook({ ...delivery, rawBody: Buffer.from(delivery.rawBody.toString().replace('300555', '300556')) }, 'sub-secret')).toBe(false);
      expect(connector.verifyWebhook({ ...delivery, headers: { ...delivery.headers, 'x-simpro-signature': 'short' } }, 'sub-secret')).toBe(false);
      expect(connector.verifyWebhook({ ...delivery, headers: {} }, 'sub-secret')).toBe(false);
      expect(connector.verifyWebhook(delivery, '')).toBe(false);
    });

    test('the header and scheme are configuration: a plain shared secret, say', () => {
      const plain = createSimproConnector({ webhookSignature: { header: 'x-webhook-secret', scheme: 'shared-secret' } });
      const delivery = { headers: { 'x-webhook-secret': 'sub-secret' }, rawBody: fake.webhook('job.updated', 1, 'unused').rawBody };
      expect(plain.verifyWebhook(delivery, 'sub-secret')).toBe(true);
      expect(plain.verifyWebhook(delivery, 'sub-secret-2')).toBe(false);
    });

    test('job.* names the job to re-fetch, with a stable delivery id; other events and junk are ignored', () => {
      const delivery = fake.webhook('job.status', 300555, 's');
      const event = connector.parseWebhook(delivery);
      expect(event).toEqual({ kind: 'jobs_changed', externalJobIds: ['300555'], deliveryId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
      expect(connector.parseWebhook(delivery)).toEqual(event);
      expect(connector.parseWebhook(fake.webhook('job.deleted', 300556, 's'))).toMatchObject({ kind: 'jobs_changed', externalJobIds: ['300556'] });
      expect(connector.parseWebhook(fake.webhook('customer.created', 7, 's'))).toEqual({ kind: 'ignored' });
      expect(connector.parseWebhook({ headers: {}, rawBody: Buffer.from('<html>') })).toEqual({ kind: 'ignored' });
    });
  });
});
