/**
 * What the integrations API, its OAuth callback and its webhooks share: the
 * connector registry and credential cipher built from configuration, the
 * state signer, and the steps of connecting (an authorize URL, Commusoft's
 * login, what follows new credentials) and of showing an integration.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config';
import { FsmError } from '../connectors/errors';
import { authorizeUrl } from '../connectors/oauth';
import { type ConnectorRegistry, type IntegrationTarget, createConnectorRegistry } from '../connectors/registry';
import { CredentialCipher } from '../db/crypto';
import { setOAuthNonce } from '../db/repositories/integration-admin';
import type { Credentials, Integration } from '../db/repositories/integrations';
import type { Sql } from '../db/sql';
import { syncWorkflowId } from '../domain/ids';
import { type SyncProgress, addCounts, syncProgressQuery } from '../domain/integration-sync';
import type { Provider } from '../domain/task';
import { resumeIntegration, settleIntegrationSchedule } from '../temporal/integration-schedules';
import { notifyWritebacks } from '../temporal/writebacks';
import type { AppDeps } from './app';
import { HttpError, badRequest, conflict } from './errors';
import { type StateSigner, createStateSigner, newStateNonce } from './oauth-state';

export interface IntegrationServices {
  sql: Sql;
  config: Config;
  client: Client;
  taskQueue: string;
  cipher: CredentialCipher;
  registry: ConnectorRegistry;
  state: StateSigner;
  /** Where every FSM sends the browser back: GET /v1/oauth/callback on PUBLIC_URL. */
  redirectUri: string;
}

export function createIntegrationServices(deps: AppDeps): IntegrationServices {
  const { config } = deps;
  return {
    sql: deps.sql,
    config,
    client: deps.temporal.client,
    taskQueue: deps.temporal.taskQueue,
    cipher: new CredentialCipher(config.credentialsKey),
    registry: createConnectorRegistry(config.fsm),
    state: createStateSigner(config.credentialsKey),
    redirectUri: `${config.publicUrl}/v1/oauth/callback`,
  };
}

export const DISPLAY_NAMES: Record<Provider, string> = { servicem8: 'ServiceM8', simpro: 'Simpro', jobber: 'Jobber', commusoft: 'Commusoft' };

/** Connection-time failures of an FSM: a refusal is the client's to fix (400), anything else is the FSM's (502). */
export function fsmFailure(err: unknown, what: string): unknown {
  if (!(err instanceof FsmError)) return err;
  if (err.kind === 'auth_revoked' || err.kind === 'auth_expired' || err.kind === 'payload_rejected') {
    return new HttpError(400, 'fsm_refused', `${what}: ${err.message}`);
  }
  return new HttpError(502, 'fsm_unavailable', `${what}: ${err.message}`);
}

export const integrationDisconnected = () => conflict('integration_disconnected', 'the integration is disconnected: create a new one to connect again');

/** Where the FSM posts events: one URL per integration, except Jobber's one per app (routed by account). */
export function webhookUrl(s: IntegrationServices, integration: { id: string; provider: Provider }): string {
  const base = `${s.config.publicUrl}/v1/webhooks/${integration.provider}`;
  return integration.provider === 'jobber' ? base : `${base}/${integration.id}`;
}

/** The callback URL and secret to register with the FSM (fsm-apis.md: how each FSM authenticates a delivery). */
export function webhookSetup(s: IntegrationServices, integration: { id: string; provider: Provider }, secret: string) {
  const url = webhookUrl(s, integration);
  switch (integration.provider) {
    case 'servicem8':
      // ServiceM8 signs nothing and lets a subscriber set only the URL: the secret rides in its query.
      return { url: `${url}?secret=${encodeURIComponent(secret)}`, secret };
    case 'jobber':
      // Jobber signs every delivery with the app's client secret (X-Jobber-Hmac-SHA256).
      return { url, secret: null };
    default:
      return { url, secret };
  }
}

/** What the Dashboard's integration card shows; no secret. */
export function integrationView(s: IntegrationServices, row: Integration) {
  return {
    id: row.id,
    provider: row.provider,
    displayName: row.displayName,
    status: row.status,
    writebackEnabled: row.syncDirection === 'both',
    syncIntervalSeconds: row.syncIntervalSeconds,
    settings: { build: row.settings.build, companyId: row.settings.companyId },
    lastSyncAt: row.lastSyncAt,
    lastSyncCounts: row.lastSyncStats && addCounts(row.lastSyncStats, {}),
    lastError: row.lastError,
    lastErrorAt: row.lastErrorAt,
    connectedAt: row.connectedAt,
    disconnectedAt: row.disconnectedAt,
    webhookUrl: webhookUrl(s, row),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The OAuth settings for an integration, or a 400 saying what its settings lack (a Simpro build). */
export function oauthSettingsOf(s: IntegrationServices, target: IntegrationTarget) {
  try {
    const oauth = s.registry.oauthSettings(target);
    if (!oauth) throw new Error(`${target.provider} has no OAuth flow`);
    return oauth;
  } catch (err) {
    if (err instanceof FsmError) throw badRequest(err.message, [{ path: 'body.settings.build', message: 'is required' }]);
    throw err;
  }
}

/**
 * Starts an OAuth flow: a fresh nonce on the row (any earlier flow's state
 * stops working), a signed state bound to the tenant and integration, and
 * the FSM's authorize URL carrying it.
 */
export async function startAuthorization(s: IntegrationServices, integration: Integration): Promise<string> {
  const oauth = oauthSettingsOf(s, integration);
  const nonce = newStateNonce();
  if (!(await setOAuthNonce(s.sql, integration.tenantId, integration.id, nonce))) throw integrationDisconnected();
  return authorizeUrl(oauth, s.redirectUri, s.state.sign({ tenantId: integration.tenantId, integrationId: integration.id, nonce }));
}

export type CommusoftLoginFields = { clientId?: string; username: string; password: string; applicationId: string };

/**
 * Commusoft has no OAuth (fsm-apis.md §4.2): the login is checked by getting
 * a token with it (the registry's relogin, against COMMUSOFT_BASE_URL), and
 * kept, encrypted, for the token manager's later logins.
 */
export async function commusoftCredentials(s: IntegrationServices, login: CommusoftLoginFields): Promise<{ credentials: Credentials; expiresAt: Date | null }> {
  const relogin = s.registry.relogin({ id: '', provider: 'commusoft', settings: {} })!;
  const stored = { ...login, clientId: login.clientId ?? s.config.fsm.commusoft.clientId };
  try {
    const tokens = await relogin({ accessToken: '', refreshToken: null, login: stored });
    return { credentials: { accessToken: tokens.accessToken, refreshToken: null, login: stored }, expiresAt: tokens.expiresAt };
  } catch (err) {
    throw fsmFailure(err, 'Commusoft did not accept the login');
  }
}

/** How long the API waits on Temporal for work the reconciler can finish later (a schedule, a first sync). */
const TEMPORAL_DEADLINE_MS = 5000;

const scheduleTarget = (integration: Integration) => ({
  tenantId: integration.tenantId,
  integrationId: integration.id,
  provider: integration.provider,
  syncIntervalSeconds: integration.syncIntervalSeconds,
});

/**
 * Temporal work that may be left for later: `fn`, within
 * TEMPORAL_DEADLINE_MS; false (and logged) when Temporal did not take it. The
 * row keeps its schedule owed until it is made, and the integration-schedule
 * reconciler (workflows/reconcile-integration-schedules.ts) makes it, and
 * starts a sync, once Temporal is back.
 */
async function unlessTemporalIsDown(s: IntegrationServices, log: FastifyBaseLogger, integrationId: string, fn: () => Promise<void>): Promise<boolean> {
  try {
    await s.client.withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, fn);
    return true;
  } catch (err) {
    log.warn({ err, integrationId }, "Temporal did not take the integration's schedule or sync: the reconciler will");
    return false;
  }
}

/**
 * What follows new credentials (a connection or a reconnection): the
 * schedule is created (or brought up to date), and everything that waited
 * for credentials resumes. The credentials are saved before this, so
 * Temporal being unreachable does not undo the connection: false, and the
 * reconciler makes the schedule and starts the sync later.
 */
export async function afterConnected(s: IntegrationServices, integration: Integration, log: FastifyBaseLogger): Promise<boolean> {
  return unlessTemporalIsDown(s, log, integration.id, async () => {
    // Resumes the import: the first sync, or the one a revoked grant stopped (its cursor is kept).
    await resumeIntegration(s.sql, s.client, s.taskQueue, scheduleTarget(integration));
    // Job notes waiting for these credentials try again now.
    await notifyWritebacks(s, integration.tenantId, integration.id, 'reconnected');
  });
}

/** The schedule follows the integration's interval (after a change), now or by the reconciler. */
export async function scheduleFollows(s: IntegrationServices, integration: Integration, log: FastifyBaseLogger): Promise<boolean> {
  return unlessTemporalIsDown(s, log, integration.id, () => settleIntegrationSchedule(s.sql, s.client, s.taskQueue, scheduleTarget(integration)));
}

/**
 * The FSM account new credentials belong to, for connectors that route
 * webhooks by account (Jobber); null when there is none, or when the FSM did
 * not say just now (the next sync asks again: activities/integration-sync.ts).
 */
export async function connectedAccount(s: IntegrationServices, integration: Integration, accessToken: string, log: FastifyBaseLogger): Promise<string | null> {
  const connector = s.registry.connector(integration.provider);
  if (!connector.accountId) return null;
  const auth = {
    accessToken: async () => accessToken,
    refresh: async (): Promise<string> => {
      throw new FsmError('auth_expired', `${integration.provider}: the token just issued was refused`);
    },
  };
  try {
    return await connector.accountId(auth, s.registry.connectionSettings(integration));
  } catch (err) {
    log.warn({ err, integrationId: integration.id }, 'the FSM account of new credentials could not be read: the next sync reads it');
    return null;
  }
}

/**
 * Cancels the integration's running sync, if any (a disconnect): it ends
 * between pages, as a cancellation, rather than failing on the credentials
 * just dropped.
 */
export async function cancelRunningSync(s: IntegrationServices, integrationId: string): Promise<void> {
  try {
    await s.client.workflow.getHandle(syncWorkflowId(integrationId)).cancel();
  } catch (err) {
    // None ever ran, or the last one has ended.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/**
 * The running sync's progress (sync/<id>'s query); null when none runs. A
 * query needs a worker: when Temporal cannot answer in time, the card shows
 * no progress rather than failing.
 */
export async function runningSyncProgress(s: IntegrationServices, integrationId: string, log: FastifyBaseLogger): Promise<SyncProgress | null> {
  const handle = s.client.workflow.getHandle(syncWorkflowId(integrationId));
  try {
    return await s.client.withDeadline(Date.now() + 3000, async () => {
      const { status } = await handle.describe();
      return status.name === 'RUNNING' ? handle.query(syncProgressQuery) : null;
    });
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) log.warn({ err, integrationId }, 'sync progress unavailable');
    return null;
  }
}
