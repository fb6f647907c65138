/**
 * The integrations API (admin): the Dashboard's integration cards, connecting
 * an FSM (OAuth2, or Commusoft's login), the post-connection setup (writeback
 * on/off = sync_direction both/import), reconnecting, sync now, and
 * disconnecting. The OAuth callback and the webhooks have no bearer token
 * (the browser and the FSMs call them), so `integrationApi` registers them
 * beside this scope's authentication rather than under it.
 */
import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { createIntegration, getIntegration, listIntegrations, type Integration } from '../../db/repositories/integrations';
import { disconnectIntegration, initIntegration, saveConnection, updateIntegration } from '../../db/repositories/integration-admin';
import { NO_WRITEBACK_TROUBLE, writebackSummaries } from '../../db/repositories/writebacks';
import { deleteIntegrationSchedule, settleIntegrationSchedule, startSyncNow } from '../../temporal/integration-schedules';
import { notifyWritebacks } from '../../temporal/writebacks';
import type { AppDeps } from '../app';
import {
  DISPLAY_NAMES,
  type IntegrationServices,
  afterConnected,
  cancelRunningSync,
  commusoftCredentials,
  createIntegrationServices,
  integrationDisconnected,
  integrationView,
  oauthSettingsOf,
  runningSyncProgress,
  scheduleFollows,
  startAuthorization,
  webhookSetup,
} from '../integration-services';
import { badRequest, conflict, notFound } from '../errors';
import { authPlugin, requireAdmin } from '../plugins/auth';
import { IdParams, errors } from '../schemas/common';
import {
  CreateIntegrationBody,
  CreatedIntegration,
  IntegrationDetail,
  IntegrationList,
  IntegrationSchema,
  PatchIntegrationBody,
  ReconnectBody,
  ReconnectResult,
  SyncStarted,
} from '../schemas/integrations';
import { oauthCallbackRoutes } from './oauth-callback';
import { webhookRoutes } from './webhooks';

const tags = ['integrations'];

/** Fields a provider does not take are refused, not ignored: a Simpro build sent for Jobber is a mistake worth saying. */
function checkProviderFields(provider: Integration['provider'], body: { settings?: object; login?: object }): void {
  if (body.settings && provider !== 'simpro') throw badRequest('settings are for Simpro only', [{ path: 'body.settings', message: `is not taken by ${provider}` }]);
  if (provider === 'commusoft' && !body.login) throw badRequest('Commusoft connects with its login', [{ path: 'body.login', message: 'is required for commusoft' }]);
  if (provider !== 'commusoft' && body.login) throw badRequest(`${provider} connects through OAuth`, [{ path: 'body.login', message: 'is for commusoft only' }]);
}

const adminRoutes: FastifyPluginAsyncTypebox<{ services: IntegrationServices }> = async (app, { services: s }) => {
  const { sql, cipher } = s;

  /** The tenant's integration, for an admin; 404 when the tenant has none by that id. */
  async function load(request: FastifyRequest<{ Params: { id: string } }>): Promise<Integration> {
    requireAdmin(request.principal);
    const row = await getIntegration(sql, request.principal.tenantId, request.params.id);
    if (!row) throw notFound('integration');
    return row;
  }

  async function live(request: Parameters<typeof load>[0]): Promise<Integration> {
    const row = await load(request);
    if (row.status === 'disconnected') throw integrationDisconnected();
    return row;
  }

  const reread = async (row: Integration) => (await getIntegration(sql, row.tenantId, row.id))!;

  app.get(
    '/integrations',
    {
      schema: {
        tags,
        summary: "The tenant's integrations (admin): what each card and its error badge show; disconnected ones are left out",
        querystring: Type.Object({}, { additionalProperties: false }),
        response: { 200: IntegrationList, ...errors(401, 403) },
      },
    },
    async (request) => {
      requireAdmin(request.principal);
      const { tenantId } = request.principal;
      const [rows, writebacks] = await Promise.all([listIntegrations(sql, tenantId), writebackSummaries(sql, tenantId)]);
      return { items: rows.map((row) => ({ ...integrationView(s, row), ...(writebacks.get(row.id) ?? NO_WRITEBACK_TROUBLE) })) };
    },
  );

  app.post(
    '/integrations',
    {
      schema: {
        tags,
        summary: 'Connect an FSM (admin)',
        description:
          'Creates the integration (status needs_reconnect until connected) and answers the URL to send the browser to: the FSM asks the ' +
          'user to grant access, then returns to GET /v1/oauth/callback, which completes the connection. The URL carries a signed `state` ' +
          'binding the flow to this tenant and integration; it works once, for 10 minutes. Commusoft has no OAuth: its `login` is checked ' +
          'against Commusoft and stored encrypted, and the integration is connected at once (authorizeUrl null). The webhook secret is shown ' +
          'in this answer only.',
        body: CreateIntegrationBody,
        response: { 201: CreatedIntegration, ...errors(400, 401, 403, 502) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdmin(p);
      const { provider, settings = {}, login } = request.body;
      checkProviderFields(provider, request.body);
      // Checked before any row exists: a Simpro integration needs its build (unless configured).
      if (provider !== 'commusoft') oauthSettingsOf(s, { id: '', provider, settings });
      const connection = login ? await commusoftCredentials(s, login) : null;
      const webhookSecret = randomBytes(24).toString('base64url');
      const created = await sql.begin(async (tx) => {
        const row = await createIntegration(tx, p.tenantId, {
          provider,
          displayName: request.body.displayName ?? DISPLAY_NAMES[provider],
          syncDirection: request.body.writebackEnabled ? 'both' : 'import',
          settings,
        });
        await initIntegration(tx, cipher, p.tenantId, row.id, { webhookSecret, syncIntervalSeconds: request.body.syncIntervalSeconds });
        if (connection) await saveConnection(tx, cipher, p.tenantId, row.id, connection.credentials, connection.expiresAt);
        return (await getIntegration(tx, p.tenantId, row.id))!;
      });
      const authorizeUrl = connection ? null : await startAuthorization(s, created);
      if (connection) await afterConnected(s, created, request.log);
      return reply.status(201).send({ integration: integrationView(s, await reread(created)), authorizeUrl, webhook: webhookSetup(s, created, webhookSecret) });
    },
  );

  app.get(
    '/integrations/:id',
    {
      schema: {
        tags,
        summary: 'One integration (admin), with the running sync\'s progress',
        params: IdParams,
        response: { 200: IntegrationDetail, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const row = await load(request);
      const writebacks = (await writebackSummaries(sql, row.tenantId, row.id)).get(row.id) ?? NO_WRITEBACK_TROUBLE;
      return { ...integrationView(s, row), ...writebacks, syncProgress: await runningSyncProgress(s, row.id, request.log) };
    },
  );

  app.patch(
    '/integrations/:id',
    {
      schema: {
        tags,
        summary: 'Post-connection setup and settings (admin): writeback on/off, sync interval, name',
        description: 'writebackEnabled true sets sync_direction both (job notes are posted to the FSM), false sets import. The sync schedule follows syncIntervalSeconds.',
        params: IdParams,
        body: PatchIntegrationBody,
        response: { 200: IntegrationSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const row = await live(request);
      const { writebackEnabled, syncIntervalSeconds, displayName } = request.body;
      await updateIntegration(sql, row.tenantId, row.id, {
        displayName,
        syncIntervalSeconds,
        syncDirection: writebackEnabled === undefined ? undefined : writebackEnabled ? 'both' : 'import',
      });
      const updated = await reread(row);
      // Writeback off: job notes not yet posted end as skipped.
      if (writebackEnabled === false) await notifyWritebacks(s, row.tenantId, row.id, 'disabled');
      // Only a connected integration has a schedule to change; connecting creates it with the interval then stored.
      if (syncIntervalSeconds !== undefined && updated.connectedAt) {
        await scheduleFollows(s, updated, request.log);
      }
      return integrationView(s, updated);
    },
  );

  app.post(
    '/integrations/:id/reconnect',
    {
      schema: {
        tags,
        summary: 'Reconnect (admin): new credentials, then everything waiting on them resumes',
        description:
          'OAuth FSMs: answers a new authorize URL (an earlier one stops working); the callback stores the new tokens, clears the error and ' +
          'starts a sync. Commusoft: send the new `login`; it is checked, stored, and the integration is connected at once.',
        params: IdParams,
        body: ReconnectBody,
        response: { 200: ReconnectResult, ...errors(400, 401, 403, 404, 409, 502) },
      },
      // An OAuth reconnect has nothing to send: no body is an empty one.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const row = await live(request);
      checkProviderFields(row.provider, request.body);
      if (row.provider !== 'commusoft') return { integration: integrationView(s, row), authorizeUrl: await startAuthorization(s, row) };
      const { credentials, expiresAt } = await commusoftCredentials(s, request.body.login!);
      await sql.begin((tx) => saveConnection(tx, cipher, row.tenantId, row.id, credentials, expiresAt));
      await afterConnected(s, row, request.log);
      return { integration: integrationView(s, await reread(row)), authorizeUrl: null };
    },
  );

  app.post(
    '/integrations/:id/sync',
    {
      schema: {
        tags,
        summary: 'Sync now (admin): starts sync/<id>, or joins the one running',
        params: IdParams,
        response: { 202: SyncStarted, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const row = await live(request);
      if (row.status === 'needs_reconnect' || !row.connectedAt) throw conflict('needs_reconnect', 'the integration needs a reconnect before it can sync');
      const target = { tenantId: row.tenantId, integrationId: row.id, provider: row.provider };
      // A schedule Temporal did not take when the integration was connected is made now.
      if (row.scheduleOwedSince) await settleIntegrationSchedule(sql, s.client, s.taskQueue, { ...target, syncIntervalSeconds: row.syncIntervalSeconds });
      const handle = await startSyncNow(s.client, s.taskQueue, target);
      return reply.status(202).send({ workflowId: handle.workflowId });
    },
  );

  app.delete(
    '/integrations/:id',
    {
      schema: {
        tags,
        summary: 'Disconnect (admin): the schedule stops, the credentials are dropped, the tasks stay',
        description: 'Its tasks keep their source (integration and provider) and show `source.disconnected: true`. Disconnecting again changes nothing.',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const row = await load(request);
      // The schedule first: were the row marked and the schedule left, it would keep starting syncs that find nothing to do.
      await deleteIntegrationSchedule(s.client, row.id);
      await disconnectIntegration(sql, row.tenantId, row.id);
      await notifyWritebacks(s, row.tenantId, row.id, 'disabled');
      if (row.status !== 'disconnected') await cancelRunningSync(s, row.id);
      return reply.status(204).send(null);
    },
  );
};

/**
 * Everything under /v1 that concerns integrations: the admin routes behind
 * bearer authentication, the OAuth callback and the webhooks without it.
 */
export const integrationApi: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const services = createIntegrationServices(deps);
  await app.register(async (admin) => {
    await admin.register(authPlugin, { sql: deps.sql });
    await admin.register(adminRoutes, { services });
  });
  await app.register(oauthCallbackRoutes, { services });
  await app.register(webhookRoutes, { services });
};
