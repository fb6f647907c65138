/**
 * The integrations API suites' world: the four fake FSMs as real HTTP
 * servers, the harness configured to reach them (every OAuth and API URL on
 * a fake), and the requests a Dashboard makes: create an integration,
 * follow its authorize URL through the fake's redirect, land on our callback.
 */
import { ScheduleNotFoundError, WorkflowNotFoundError } from '@temporalio/client';
import type { LightMyRequestResponse } from 'fastify';
import { loadConfig } from '../../config';
import { JOBBER_DEFAULTS } from '../../connectors/jobber';
import { SERVICEM8_DEFAULTS } from '../../connectors/servicem8';
import { simproDefaults } from '../../connectors/simpro';
import { CredentialCipher } from '../../db/crypto';
import { syncScheduleId, syncWorkflowId } from '../../domain/ids';
import type { Provider } from '../../domain/task';
import { onFake } from '../connectors/connector-contract';
import { COMMUSOFT_BASE_PATH, FakeCommusoft } from '../fakes/commusoft';
import { FakeJobber, loadJobberSchema } from '../fakes/jobber';
import { FakeServiceM8 } from '../fakes/servicem8';
import { FakeSimpro } from '../fakes/simpro';
import { type Harness, type TenantFixture, eventually, firstRow, startHarness } from '../helpers/harness';

/**
 * How long a sync may take to settle, and a test with a few of them: generous,
 * since the suites share the machine with others (a loaded one is slow, not wrong).
 */
export const SETTLE_MS = 120_000;
export const TEST_TIMEOUT_MS = 4 * SETTLE_MS;

export const OAUTH_PROVIDERS = ['servicem8', 'simpro', 'jobber'] as const;
export const PROVIDERS_UNDER_TEST: Provider[] = [...OAUTH_PROVIDERS, 'commusoft'];

export interface Fakes {
  servicem8: FakeServiceM8;
  simpro: FakeSimpro;
  jobber: FakeJobber;
  commusoft: FakeCommusoft;
}

/** An integration as GET /v1/integrations/:id shows it. */
export interface IntegrationBody {
  id: string;
  provider: Provider;
  displayName: string;
  status: string;
  writebackEnabled: boolean;
  syncIntervalSeconds: number;
  lastSyncAt: string | null;
  lastSyncCounts: Record<string, number> | null;
  lastError: string | null;
  lastErrorAt: string | null;
  connectedAt: string | null;
  disconnectedAt: string | null;
  webhookUrl: string;
  syncProgress?: Record<string, unknown> | null;
}

export interface Created {
  integration: IntegrationBody;
  authorizeUrl: string | null;
  webhook: { url: string; secret: string | null };
}

type Auth = { authorization: string };

export interface World {
  h: Harness;
  fakes: Fakes;
  cipher: CredentialCipher;
  stop(): Promise<void>;
}

/** The four fakes, started, and the harness pointed at them; a few jobs in each, so a first sync imports something. */
export async function startWorld(): Promise<World> {
  const fakes: Fakes = {
    servicem8: new FakeServiceM8(),
    simpro: new FakeSimpro(),
    jobber: new FakeJobber({ schema: loadJobberSchema(), queryBudget: { maximumAvailable: 1_000_000, restoreRate: 500 } }),
    commusoft: new FakeCommusoft(),
  };
  const [sm8, simpro, jobber, commusoft] = await Promise.all([fakes.servicem8.start(), fakes.simpro.start(), fakes.jobber.start(), fakes.commusoft.start()]);
  const build = simproDefaults(simpro); // the fake's origin stands in for https://{build}.simprosuite.com
  const { fsm } = loadConfig({
    NODE_ENV: 'test',
    SERVICEM8_CLIENT_ID: fakes.servicem8.clientId,
    SERVICEM8_CLIENT_SECRET: fakes.servicem8.clientSecret,
    SERVICEM8_BASE_URL: onFake(SERVICEM8_DEFAULTS.baseUrl, sm8),
    SERVICEM8_AUTHORIZE_URL: onFake(SERVICEM8_DEFAULTS.authorizeUrl, sm8),
    SERVICEM8_TOKEN_URL: onFake(SERVICEM8_DEFAULTS.tokenUrl, sm8),
    SIMPRO_CLIENT_ID: fakes.simpro.clientId,
    SIMPRO_CLIENT_SECRET: fakes.simpro.clientSecret,
    SIMPRO_BASE_URL: build.baseUrl,
    SIMPRO_AUTHORIZE_URL: build.authorizeUrl,
    SIMPRO_TOKEN_URL: build.tokenUrl,
    JOBBER_CLIENT_ID: fakes.jobber.clientId,
    JOBBER_CLIENT_SECRET: fakes.jobber.clientSecret,
    JOBBER_BASE_URL: onFake(JOBBER_DEFAULTS.baseUrl, jobber),
    JOBBER_AUTHORIZE_URL: onFake(JOBBER_DEFAULTS.authorizeUrl, jobber),
    JOBBER_TOKEN_URL: onFake(JOBBER_DEFAULTS.tokenUrl, jobber),
    COMMUSOFT_BASE_URL: `${commusoft}${COMMUSOFT_BASE_PATH}`,
  });
  const h = await startHarness({ fsm, publicUrl: 'https://taskhub.example.test' });
  fakes.servicem8.seedJobs(3);
  fakes.simpro.seedJobs(3);
  fakes.jobber.seedJobs(3);
  fakes.commusoft.seedJobs(3);
  return {
    h,
    fakes,
    cipher: new CredentialCipher(h.config.credentialsKey),
    async stop() {
      await h.stop();
      await Promise.all(Object.values(fakes).map((f) => f.stop()));
    },
  };
}

export type Dashboard = ReturnType<typeof dashboard>;

/**
 * A suite's world: started before its tests (handed to `ready`), stopped
 * after them; after each test the fakes' faults are cleared, and no request
 * they saw may have broken their FSM's rules.
 */
export function useWorld(ready: (w: World, api: Dashboard) => void): void {
  jest.setTimeout(TEST_TIMEOUT_MS);
  let world: World | undefined;
  beforeAll(async () => {
    world = await startWorld();
    ready(world, dashboard(world));
  });
  afterAll(() => world?.stop());
  afterEach(() => {
    for (const fake of Object.values(world!.fakes)) {
      fake.clearFaults();
      expect(fake.violations).toEqual([]);
    }
  });
}

/** What the Dashboard (and a browser, and an FSM) send. */
export function dashboard(w: World) {
  const { h, fakes } = w;
  const inject = h.app.inject.bind(h.app);

  const get = async (auth: Auth, id: string): Promise<IntegrationBody> => {
    const res = await inject({ method: 'GET', url: `/v1/integrations/${id}`, headers: auth });
    expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 200 });
    return res.json();
  };

  const create = async (auth: Auth, body: Record<string, unknown>): Promise<Created> => {
    const res = await inject({ method: 'POST', url: '/v1/integrations', headers: auth, payload: body });
    expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 201 });
    return res.json();
  };

  /** Follows an authorize URL as a browser would: the fake "approves" and redirects to our callback, which is returned unvisited. */
  const authorize = async (authorizeUrl: string): Promise<string> => {
    const res = await fetch(authorizeUrl, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe(`${h.config.publicUrl}/v1/oauth/callback`);
    return `${back.pathname}${back.search}`;
  };

  const callback = (path: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> => inject({ method: 'GET', url: path, headers });

  /** The login Commusoft's fake accepts now (a revocation changes its password). */
  const commusoftLogin = () => ({ ...fakes.commusoft.credentials });

  /** Creates and connects an integration the Dashboard's way; Commusoft by its login, the others through the redirect flow. */
  const connect = async (auth: Auth, provider: Provider, body: Record<string, unknown> = {}) => {
    const created = await create(auth, { provider, ...(provider === 'commusoft' ? { login: commusoftLogin() } : {}), ...body });
    if (created.authorizeUrl) {
      const res = await callback(await authorize(created.authorizeUrl));
      expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 200 });
    }
    return { created, id: created.integration.id };
  };

  /** Reconnects the Dashboard's way; returns the reconnect answer. */
  const reconnect = async (auth: Auth, id: string, provider: Provider) => {
    const res = await inject({ method: 'POST', url: `/v1/integrations/${id}/reconnect`, headers: auth, payload: provider === 'commusoft' ? { login: commusoftLogin() } : {} });
    expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 200 });
    const answer = res.json<{ integration: IntegrationBody; authorizeUrl: string | null }>();
    if (answer.authorizeUrl) {
      const back = await callback(await authorize(answer.authorizeUrl));
      expect({ status: back.statusCode, body: back.body }).toMatchObject({ status: 200 });
    }
    return answer;
  };

  /**
   * Waits until a sync has finished since `after` (an ISO time, or any sync
   * when null), and its workflow has closed: a "sync now" sent while the run
   * that wrote the card is still closing joins that run instead of starting one.
   */
  const synced = async (auth: Auth, id: string, after: string | null = null) => {
    const card = await eventually(async () => {
      const i = await get(auth, id);
      return i.lastSyncAt && (!after || i.lastSyncAt > after) && i.status === 'connected' ? i : null;
    }, SETTLE_MS);
    await h.client.workflow.getHandle(syncWorkflowId(id)).result();
    return card;
  };

  return { inject, get, create, authorize, callback, connect, reconnect, synced, commusoftLogin };
}

/** The integration's row as stored: what must be encrypted, is. */
export function storedRow(w: World, id: string) {
  return firstRow(
    w.h.sql<{ credentials: string | null; webhookSecret: string | null; syncDirection: string; status: string; oauthStateNonce: string | null }[]>`
      SELECT credentials, webhook_secret, sync_direction, status, oauth_state_nonce FROM integrations WHERE id = ${id}`,
  );
}

/** The integration's sync schedule, or null when there is none. */
export async function scheduleOf(w: World, id: string) {
  try {
    return await w.h.client.schedule.getHandle(syncScheduleId(id)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}

/**
 * Pauses the integration's schedule, so that only what a test does starts a
 * sync (an interval schedule fires on multiples of its interval since the
 * epoch, so the first can come seconds after connecting).
 */
export async function pauseSchedule(w: World, id: string): Promise<void> {
  await w.h.client.schedule.getHandle(syncScheduleId(id)).pause('test: only the test starts syncs');
}

/** The run id of the integration's latest sync workflow, or null when none ever ran. */
export async function latestSyncRun(w: World, id: string): Promise<string | null> {
  try {
    return (await w.h.client.workflow.getHandle(syncWorkflowId(id)).describe()).runId;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/** Tasks imported by the integration. */
export async function importedTaskIds(w: World, id: string): Promise<string[]> {
  return (await w.h.sql<{ id: string }[]>`SELECT id FROM tasks WHERE integration_id = ${id} ORDER BY id`).map((r) => r.id);
}

export type { TenantFixture };
