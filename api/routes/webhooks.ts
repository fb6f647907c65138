/**
 * FSM events. No bearer token: the connector's verifyWebhook checks each
 * delivery on its raw bytes (this scope keeps every body as a Buffer). A
 * verified "jobs changed" is handed to Temporal (startSyncNow, which joins a
 * running sync) and answered at once: the import never runs in the request,
 * so the answer comes well within Jobber's 1 second.
 *
 * Two shapes of URL: `POST /v1/webhooks/:provider/:integrationId`, one per
 * integration (its secret is the integration's), and `POST /v1/webhooks/jobber`
 * for Jobber, which keeps ONE webhook URL per app for every account that
 * installed it: its deliveries are signed with the app's client secret and
 * routed by the `accountId` they carry to the integrations connected to that
 * account (recorded when they connected: `account { id }`).
 *
 * One effect per delivery: the delivery's id (the FSM's, or the connector's
 * digest of the body where the FSM sends none) is recorded per integration,
 * ON CONFLICT DO NOTHING, before the sync is started; a redelivery finds it
 * and does nothing. startSyncNow's idempotency alone would not do: it only
 * joins a sync still running, so a redelivery after the sync ended would
 * start another.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { WebhookEvent, WebhookRequest } from '../../connectors/types';
import {
  type WebhookTarget,
  findAccountWebhookTargets,
  findWebhookTarget,
  forgetWebhookDelivery,
  recordWebhookDelivery,
} from '../../db/repositories/integration-admin';
import { markNeedsReconnect } from '../../db/repositories/integrations';
import { startSyncNow } from '../../temporal/integration-schedules';
import { HttpError, notFound } from '../errors';
import { DISPLAY_NAMES, type IntegrationServices } from '../integration-services';
import { errors } from '../schemas/common';
import { AccountWebhookAccepted, WebhookAccepted, WebhookParams, WebhookQuery } from '../schemas/integrations';

/** Deliveries are small; anything larger is not an FSM event. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

type Action = (typeof WebhookAccepted)['static']['action'];
interface Outcome {
  action: Action;
  workflowId?: string;
}

const CALLBACK_URLS =
  'Callback URL per FSM (the full URL is answered once, by POST /v1/integrations):\n' +
  '- ServiceM8: `/v1/webhooks/servicem8/<integrationId>?secret=<webhook secret>`. ServiceM8 signs nothing and lets a subscriber set only the URL, ' +
  'so the secret rides in its query (compared in constant time). Its subscribe challenge (`mode=subscribe&challenge=…`) is answered with the bare challenge value.\n' +
  "- Simpro: `/v1/webhooks/simpro/<integrationId>`, with the integration's webhook secret as the subscription's `Secret`; the delivery's " +
  '`X-Simpro-Signature` is checked as HMAC-SHA256 of the raw body (UNVERIFIED scheme: see connectors/simpro/webhook.ts).\n' +
  "- Jobber: `/v1/webhooks/jobber`, ONE URL set in the app's Developer Center for every account; `X-Jobber-Hmac-SHA256` is " +
  'Base64(HMAC-SHA256(app client secret, raw body)), and the delivery goes to the integrations connected to its `accountId`. ' +
  'APP_DISCONNECT marks them needs_reconnect. (`/v1/webhooks/jobber/<integrationId>` still works, for that integration\'s account only.)\n' +
  "- Commusoft: `/v1/webhooks/commusoft/<integrationId>` with the webhook secret in `x-commusoft-webhook-secret` (our own UNVERIFIED scheme: Commusoft publishes none).";

const DELIVERY_EFFECT =
  'A changed job starts (or joins) the sync sync/<integrationId> and is answered at once; the same delivery again has no further effect. ' +
  'The body is whatever the FSM sends (JSON or form-encoded), read raw.';

const webhookRequest = (request: { headers: WebhookRequest['headers']; query?: unknown; body: unknown }): WebhookRequest => ({
  headers: request.headers,
  query: request.query as WebhookRequest['query'],
  rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
});

const badSignature = () => new HttpError(401, 'unauthorized', 'the webhook signature is not valid');

export const webhookRoutes: FastifyPluginAsyncTypebox<{ services: IntegrationServices }> = async (app, { services: s }) => {
  // Signatures are over the exact bytes sent: keep every body raw, JSON and form-encoded alike (this scope only).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));

  /** What a verified event does to one integration. */
  async function act(target: WebhookTarget, event: Exclude<WebhookEvent, { kind: 'challenge' }>): Promise<Outcome> {
    if (event.kind === 'ignored') return { action: 'ignored' };
    // A delivery about another account than the integration's (Jobber's per-app signature fits every account).
    if (event.accountId && target.externalAccountId && event.accountId !== target.externalAccountId) return { action: 'ignored' };
    if (event.kind === 'disconnected') {
      const reason = `${DISPLAY_NAMES[target.provider]}: ${event.reason}; reconnect to resume`;
      // A late delivery about a connection a reconnect has since replaced changes nothing.
      const at = event.occurredAt === null ? null : new Date(event.occurredAt);
      const seen = at && !Number.isNaN(at.getTime()) ? { at } : undefined;
      const marked = await markNeedsReconnect(s.sql, target.tenantId, target.id, reason, seen);
      return { action: marked || target.status === 'needs_reconnect' ? 'needs_reconnect' : 'ignored' };
    }
    // The reconnect starts a sync of its own; until then there is nothing to import with.
    if (target.status === 'needs_reconnect') return { action: 'needs_reconnect' };

    const { deliveryId } = event;
    if (deliveryId && !(await recordWebhookDelivery(s.sql, target.tenantId, target.id, deliveryId))) return { action: 'duplicate' };
    try {
      const handle = await startSyncNow(s.client, s.taskQueue, { tenantId: target.tenantId, integrationId: target.id, provider: target.provider });
      return { action: 'sync_started', workflowId: handle.workflowId };
    } catch (err) {
      // Not started: forget the delivery so the FSM's retry is not taken for a duplicate.
      if (deliveryId) await forgetWebhookDelivery(s.sql, target.id, deliveryId);
      throw err;
    }
  }

  app.post(
    '/webhooks/:provider/:integrationId',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'An FSM event for one integration',
        description:
          "No bearer token: each delivery is authenticated by its FSM's scheme, on the raw body; a bad signature gets 401 and changes nothing. " +
          `${DELIVERY_EFFECT}\n\n${CALLBACK_URLS}`,
        security: [],
        params: WebhookParams,
        querystring: WebhookQuery,
        response: {
          200: {
            content: {
              'application/json': { schema: WebhookAccepted },
              'text/plain': { schema: Type.String({ description: "ServiceM8's subscribe challenge, echoed" }) },
            },
          },
          ...errors(400, 401, 404, 413),
        },
      },
    },
    async (request, reply) => {
      const { provider, integrationId } = request.params;
      const target = await findWebhookTarget(s.sql, s.cipher, integrationId);
      if (!target || target.provider !== provider || target.status === 'disconnected') throw notFound('integration');

      const webhook = webhookRequest(request);
      const secret = provider === 'jobber' ? s.config.fsm.jobber.clientSecret : target.webhookSecret;
      const connector = s.registry.connector(provider);
      if (!secret || !connector.verifyWebhook(webhook, secret)) throw badSignature();

      const event = connector.parseWebhook(webhook);
      if (event.kind === 'challenge') return reply.type('text/plain').send(event.response);
      return reply.type('application/json').send({ received: true as const, ...(await act(target, event)) });
    },
  );

  app.post(
    '/webhooks/jobber',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Jobber's events for every connected account: the one URL of the Jobber app",
        description:
          "No bearer token: `X-Jobber-Hmac-SHA256` must be Base64(HMAC-SHA256(the app's client secret, raw body)), else 401 and nothing happens. " +
          'The delivery goes to every integration connected to the Jobber account it names (`data.webHookEvent.accountId`); an account no ' +
          'integration holds is acknowledged and ignored, so Jobber keeps the app\'s webhooks enabled. APP_DISCONNECT marks the integrations ' +
          `needs_reconnect. ${DELIVERY_EFFECT}`,
        security: [],
        response: { 200: AccountWebhookAccepted, ...errors(400, 401, 413) },
      },
    },
    async (request, reply) => {
      const webhook = webhookRequest(request);
      const connector = s.registry.connector('jobber');
      const secret = s.config.fsm.jobber.clientSecret;
      if (!secret || !connector.verifyWebhook(webhook, secret)) throw badSignature();

      const event = connector.parseWebhook(webhook);
      const integrations: ({ integrationId: string } & Outcome)[] = [];
      // Jobber sends no challenge; a delivery that names no account has nobody to go to.
      if (event.kind !== 'challenge' && event.accountId) {
        for (const target of await findAccountWebhookTargets(s.sql, 'jobber', event.accountId)) {
          integrations.push({ integrationId: target.id, ...(await act(target, event)) });
        }
      }
      return reply.type('application/json').send({ received: true as const, integrations });
    },
  );
};
