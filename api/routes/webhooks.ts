/**
 * POST /v1/webhooks/:provider/:integrationId: FSM events. No bearer token:
 * the connector's verifyWebhook checks each delivery on its raw bytes
 * (this scope keeps every body as a Buffer). A verified "jobs changed" is
 * handed to Temporal (startSyncNow, which joins a running sync) and answered
 * at once: the import never runs in the request, so the answer comes well
 * within Jobber's 1 second.
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
import type { WebhookRequest } from '../../connectors/types';
import { findWebhookTarget, forgetWebhookDelivery, recordWebhookDelivery } from '../../db/repositories/integration-admin';
import { markNeedsReconnect } from '../../db/repositories/integrations';
import type { Provider } from '../../domain/task';
import { startSyncNow } from '../../temporal/integration-schedules';
import { HttpError, notFound } from '../errors';
import type { IntegrationServices } from '../integration-services';
import { errors } from '../schemas/common';
import { WebhookAccepted, WebhookParams, WebhookQuery } from '../schemas/integrations';

/** Deliveries are small; anything larger is not an FSM event. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/**
 * Jobber's APP_DISCONNECT (fsm-apis.md §3.2): the account removed our app and
 * its tokens are dead. The connector parses it as `ignored` (WebhookEvent has
 * no kind for it yet), so its topic is read here.
 */
function isJobberAppDisconnect(rawBody: Buffer): boolean {
  try {
    return (JSON.parse(rawBody.toString('utf8')) as { data?: { webHookEvent?: { topic?: unknown } } })?.data?.webHookEvent?.topic === 'APP_DISCONNECT';
  } catch {
    return false;
  }
}

const CALLBACK_URLS =
  'Callback URL per FSM (the full URL is answered once, by POST /v1/integrations):\n' +
  '- ServiceM8: `/v1/webhooks/servicem8/<integrationId>?secret=<webhook secret>`. ServiceM8 signs nothing and lets a subscriber set only the URL, ' +
  'so the secret rides in its query (compared in constant time). Its subscribe challenge (`mode=subscribe&challenge=…`) is answered with the bare challenge value.\n' +
  "- Simpro: `/v1/webhooks/simpro/<integrationId>`, with the integration's webhook secret as the subscription's `Secret`; the delivery's " +
  '`X-Simpro-Signature` is checked as HMAC-SHA256 of the raw body (UNVERIFIED scheme: see connectors/simpro/webhook.ts).\n' +
  "- Jobber: `/v1/webhooks/jobber/<integrationId>`, set in the app's Developer Center; `X-Jobber-Hmac-SHA256` is Base64(HMAC-SHA256(app client secret, raw body)). " +
  'APP_DISCONNECT marks the integration needs_reconnect. Jobber keeps one URL per app for every account, so this shape serves one connected Jobber account per app.\n' +
  "- Commusoft: `/v1/webhooks/commusoft/<integrationId>` with the webhook secret in `x-commusoft-webhook-secret` (our own UNVERIFIED scheme: Commusoft publishes none).";

export const webhookRoutes: FastifyPluginAsyncTypebox<{ services: IntegrationServices }> = async (app, { services: s }) => {
  // Signatures are over the exact bytes sent: keep every body raw, JSON and form-encoded alike (this scope only).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));

  app.post(
    '/webhooks/:provider/:integrationId',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'An FSM event for one integration',
        description:
          'No bearer token: each delivery is authenticated by its FSM\'s scheme, on the raw body; a bad signature gets 401 and changes nothing. ' +
          'A changed job starts (or joins) the sync sync/<integrationId> and is answered at once; the same delivery again has no further effect. ' +
          'The body is whatever the FSM sends (JSON or form-encoded), read raw.\n\n' +
          CALLBACK_URLS,
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

      const webhook: WebhookRequest = {
        headers: request.headers,
        query: request.query,
        rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      };
      const secret = provider === 'jobber' ? s.config.fsm.jobber.clientSecret : target.webhookSecret;
      const connector = s.registry.connector(provider as Provider);
      if (!secret || !connector.verifyWebhook(webhook, secret)) throw new HttpError(401, 'unauthorized', 'the webhook signature is not valid');

      const event = connector.parseWebhook(webhook);
      const answer = (action: (typeof WebhookAccepted)['static']['action'], workflowId?: string) =>
        reply.type('application/json').send({ received: true as const, action, ...(workflowId ? { workflowId } : {}) });

      if (event.kind === 'challenge') return reply.type('text/plain').send(event.response);
      if (event.kind === 'ignored') {
        if (provider === 'jobber' && isJobberAppDisconnect(webhook.rawBody)) {
          await markNeedsReconnect(s.sql, target.tenantId, integrationId, 'Jobber: the app was disconnected from the Jobber account (APP_DISCONNECT); reconnect to resume');
          return answer('needs_reconnect');
        }
        return answer('ignored');
      }
      // The reconnect starts a sync of its own; until then there is nothing to import with.
      if (target.status === 'needs_reconnect') return answer('needs_reconnect');

      const { deliveryId } = event;
      if (deliveryId && !(await recordWebhookDelivery(s.sql, target.tenantId, integrationId, deliveryId))) return answer('duplicate');
      try {
        const handle = await startSyncNow(s.client, s.taskQueue, { tenantId: target.tenantId, integrationId });
        return answer('sync_started', handle.workflowId);
      } catch (err) {
        // Not started: forget the delivery so the FSM's retry is not taken for a duplicate.
        if (deliveryId) await forgetWebhookDelivery(s.sql, integrationId, deliveryId);
        throw err;
      }
    },
  );
};
