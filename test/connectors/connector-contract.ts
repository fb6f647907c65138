/**
 * What every FSM connector must do, run against that FSM's fake: the OAuth2
 * redirect flow, a 2,000-job import across pages, changes since a time,
 * changed / completed / deleted jobs, one job, notes found again by their
 * marker (a lost response included), and the error taxonomy. Each
 * connector's test file supplies a ConnectorUnderTest and adds what is its
 * own (request shapes, mapping details, webhooks).
 */
import { FsmError } from '../../connectors/errors';
import { type OAuthSettings, type TokenSet, authorizeUrl, exchangeCode, refreshTokens } from '../../connectors/oauth';
import type { ConnectionSettings, FsmConnector, FsmJob, TokenSource } from '../../connectors/types';
import type { FakeFsm } from '../fakes/fake-fsm';

export const REDIRECT_URI = 'http://127.0.0.1:1/callback';

/** A promise's rejection, which must be an FsmError. */
export async function failure(p: Promise<unknown>): Promise<FsmError> {
  const error = await p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FsmError);
  return error as FsmError;
}

/** A default URL (the vendor's) moved onto the fake's origin, the vendor's path kept. */
export function onFake(vendorUrl: string, fakeUrl: string): string {
  return `${fakeUrl}${new URL(vendorUrl).pathname}`;
}

/** The authorization-code flow through the fake: authorize → redirect back with a code → exchange. */
export async function connect(oauth: OAuthSettings, state = 'state-123'): Promise<TokenSet> {
  const res = await fetch(authorizeUrl(oauth, REDIRECT_URI, state), { redirect: 'manual' });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
  expect(back.searchParams.get('state')).toBe(state);
  return exchangeCode(oauth, back.searchParams.get('code')!, REDIRECT_URI);
}

/** A TokenSource as the credential store would give it: refresh through the token endpoint, counted. */
export function tokenSource(oauth: OAuthSettings, tokens: TokenSet) {
  const state = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, refreshes: 0 };
  const source: TokenSource = {
    accessToken: async () => state.accessToken,
    refresh: async () => {
      state.refreshes++;
      const next = await refreshTokens(oauth, state.refreshToken!);
      Object.assign(state, { accessToken: next.accessToken, refreshToken: next.refreshToken });
      return next.accessToken;
    },
  };
  return { source, state };
}

/** Every page of a listing. */
export async function listAll(connector: FsmConnector, auth: TokenSource, settings: ConnectionSettings, since: string | null) {
  const jobs: FsmJob[] = [];
  let pages = 0;
  let pageToken: string | null = null;
  do {
    const page = await connector.listChangedJobs(auth, settings, { since, pageToken });
    jobs.push(...page.jobs);
    pageToken = page.nextPageToken;
    pages++;
  } while (pageToken);
  return { jobs, pages };
}

export interface ConnectorUnderTest {
  fake: FakeFsm;
  connector: FsmConnector;
  settings: ConnectionSettings;
  /** OAuth2 settings; an FSM with a login of its own (Commusoft's getToken) gives `login` instead. */
  oauth?: OAuthSettings;
  /** Connects through the FSM's own login; `state.refreshes` counts the logins redone after a 401. */
  login?: () => Promise<{ source: TokenSource; state: { refreshes: number } }>;
  /** Requests (and answers) the fake found not to match the FSM's shapes. */
  violations(): string[];
  /** Seeds n open jobs, each with a customer, a site / address, a date and one assignee; returns their ids. */
  seedJobs(n: number): string[];
  /** Advances the FSM's clock: changes made afterwards are after the returned time. */
  mark(): string;
  changeJob(id: string, description: string): void;
  completeJob(id: string): void;
  deleteJob(id: string): void;
  /** An id no job has (in the FSM's id format). */
  missingJobId(): string;
  noteCount(jobId: string): number;
  /** The next call fails with the FSM's own validation error (its status and body), worded `message`. */
  rejectNext(message: string): void;
  /** Whether a deleted job still shows in a changed-since listing (ServiceM8 flags, Simpro removes). */
  deletedJobsListed: boolean;
}

/** A fresh connection: the FSM's own login where it has one, else the OAuth2 redirect flow. */
async function connection(t: ConnectorUnderTest): Promise<{ source: TokenSource; state: { refreshes: number } }> {
  return t.login ? t.login() : tokenSource(t.oauth!, await connect(t.oauth!));
}

export function describeConnectorContract(setup: () => Promise<ConnectorUnderTest>): void {
  let t: ConnectorUnderTest;
  let auth: TokenSource;
  let seeded: string[];

  beforeAll(async () => {
    t = await setup();
    seeded = t.seedJobs(2000);
  });
  afterEach(() => {
    t.fake.clearFaults();
    expect(t.violations()).toEqual([]);
  });

  test('connects through the OAuth2 redirect flow (or the FSM\'s own login), and the tokens it gets work', async () => {
    if (t.oauth) {
      const tokens = await connect(t.oauth);
      expect(tokens.refreshToken).toBeTruthy();
      expect(tokens.expiresAt!.getTime()).toBeGreaterThan(Date.now());
      auth = tokenSource(t.oauth, tokens).source;
    } else {
      auth = (await connection(t)).source;
    }
    expect((await t.connector.getJob(auth, t.settings, seeded[0]!))?.externalId).toBe(seeded[0]);
  });

  test('imports 2,000 jobs across pages as 2,000 distinct, fully mapped jobs', async () => {
    const { jobs, pages } = await listAll(t.connector, auth, t.settings, null);
    expect(pages).toBeGreaterThan(1);
    expect(jobs).toHaveLength(2000);
    expect(new Set(jobs.map((j) => j.externalId))).toEqual(new Set(seeded));
    for (const job of jobs) {
      expect(job).toMatchObject({ status: 'open', deleted: false });
      expect(job.title).not.toBe('');
      expect(job.customer?.name).toBeTruthy();
      expect(job.address).toBeTruthy();
      expect(job.scheduledAt).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(job.assigneeEmails).toEqual([expect.stringMatching(/@example\.com$/)]);
      expect(Number.isNaN(Date.parse(job.updatedAt))).toBe(false);
    }
    // The page path (lookups in bulk) and the one-job path (lookups one by one) agree.
    for (const id of [seeded[0]!, seeded[777]!, seeded[1999]!]) {
      expect(await t.connector.getJob(auth, t.settings, id)).toEqual(jobs.find((j) => j.externalId === id));
    }
  });

  test('since returns only the jobs changed after it; changed, completed and deleted jobs map accordingly', async () => {
    const [changed, completed, deleted] = [seeded[10]!, seeded[11]!, seeded[12]!];
    const since = t.mark();
    t.changeJob(changed, 'Replace the compressor');
    t.completeJob(completed);
    t.deleteJob(deleted);

    const { jobs } = await listAll(t.connector, auth, t.settings, since);
    const expected = t.deletedJobsListed ? [changed, completed, deleted] : [changed, completed];
    expect(jobs.map((j) => j.externalId).sort()).toEqual([...expected].sort());
    const byId = new Map(jobs.map((j) => [j.externalId, j]));
    expect(byId.get(changed)?.description).toContain('Replace the compressor');
    expect(byId.get(changed)?.status).toBe('open');
    expect(byId.get(completed)?.status).toBe('completed');
    if (t.deletedJobsListed) expect(byId.get(deleted)?.deleted).toBe(true);
    for (const job of jobs) expect(Date.parse(job.updatedAt)).toBeGreaterThanOrEqual(Date.parse(since));

    expect((await t.connector.getJob(auth, t.settings, completed))?.status).toBe('completed');
    expect(await t.connector.getJob(auth, t.settings, deleted)).toBeNull();
    expect(await t.connector.getJob(auth, t.settings, t.missingJobId())).toBeNull();
    // Nothing changed since the last change: an empty listing.
    expect((await listAll(t.connector, auth, t.settings, t.mark())).jobs).toEqual([]);
  });

  test('a posted note is found again by its marker, and only it', async () => {
    const job = seeded[20]!;
    const posted = await t.connector.postJobNote(auth, t.settings, job, 'Session summary\nAll checks passed. [taskhub:note-1]');
    await t.connector.postJobNote(auth, t.settings, job, 'Another note [taskhub:note-2]');
    expect(posted.noteId).toBeTruthy();
    const found = await t.connector.findJobNotes(auth, t.settings, job, '[taskhub:note-1]');
    expect(found).toEqual([{ noteId: posted.noteId, text: expect.stringContaining('All checks passed. [taskhub:note-1]') }]);
    expect(await t.connector.findJobNotes(auth, t.settings, job, '[taskhub:none]')).toEqual([]);
  });

  test('a response lost after the note was applied: one note in the FSM, and the marker finds it', async () => {
    const job = seeded[21]!;
    t.fake.loseResponseAfterWrite(1);
    expect((await failure(t.connector.postJobNote(auth, t.settings, job, 'Lost answer [taskhub:lost-1]'))).kind).toBe('transient');
    expect(t.noteCount(job)).toBe(1);
    const found = await t.connector.findJobNotes(auth, t.settings, job, '[taskhub:lost-1]');
    expect(found).toHaveLength(1);
    expect(found[0]!.text).toContain('Lost answer');
  });

  test('an expired access token: 401, one refresh, the call retried and answered', async () => {
    const { source, state } = await connection(t);
    t.fake.expireAccessTokens();
    expect((await t.connector.getJob(source, t.settings, seeded[0]!))?.externalId).toBe(seeded[0]);
    expect(state.refreshes).toBe(1);
    auth = source;
  });

  test('429 is rate_limited with Retry-After; 5xx is transient', async () => {
    t.fake.rateLimitNext(1, 7);
    const limited = await failure(t.connector.listChangedJobs(auth, t.settings, { since: null, pageToken: null }));
    expect(limited).toMatchObject({ kind: 'rate_limited', details: { status: 429, retryAfterMs: 7000 } });
    t.fake.failNext(1, 503);
    expect(await failure(t.connector.getJob(auth, t.settings, seeded[0]!))).toMatchObject({ kind: 'transient', details: { status: 503 } });
  });

  test("a refused note is payload_rejected, carrying the FSM's message", async () => {
    t.rejectNext('Note text is not acceptable');
    const rejected = await failure(t.connector.postJobNote(auth, t.settings, seeded[22]!, 'x [taskhub:rejected]'));
    expect(rejected.kind).toBe('payload_rejected');
    expect(rejected.message).toContain('Note text is not acceptable');
  });

  test('a revoked grant is auth_revoked', async () => {
    const { source } = await connection(t);
    t.fake.revokeAll();
    expect((await failure(t.connector.getJob(source, t.settings, seeded[0]!))).kind).toBe('auth_revoked');
    auth = (await connection(t)).source;
  });
}
