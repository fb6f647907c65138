/**
 * GET /v1/oauth/callback: where every FSM's authorize page sends the browser
 * back. No bearer token (the browser lands here): the signed, expiring,
 * single-use `state` is the only authentication (api/oauth-state.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { FsmError } from '../../connectors/errors';
import { exchangeCode } from '../../connectors/oauth';
import { consumeOAuthNonce, recordIntegrationError, saveConnection } from '../../db/repositories/integration-admin';
import { type Integration, getIntegration } from '../../db/repositories/integrations';
import { HttpError } from '../errors';
import { type IntegrationServices, afterConnected, connectedAccount, fsmFailure, integrationView, oauthSettingsOf } from '../integration-services';
import { errors } from '../schemas/common';
import { OAuthCallbackQuery, OAuthCallbackResult } from '../schemas/integrations';

const invalidState = (message: string) => new HttpError(400, 'invalid_state', message);

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The page a browser sees: it tells the Dashboard window that opened the flow
 * (postMessage to its opener, only the integration's id) to open the
 * post-connection setup, and says so to a person.
 */
function connectedPage(integration: Integration, integrationUrl: string): string {
  const name = escapeHtml(integration.displayName);
  const message = JSON.stringify({ type: 'taskhub:integration-connected', integrationId: integration.id, next: 'post_connection_setup' });
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${name} connected</title></head>
<body>
<h1>${name} is connected</h1>
<p>Back in the Dashboard, finish the post-connection setup: choose whether completed training sessions are written back to ${name} as job notes.</p>
<p data-integration-url="${escapeHtml(integrationUrl)}">You can close this window.</p>
<script>if (window.opener) { window.opener.postMessage(${message.replace(/</g, '\\u003c')}, '*'); window.close(); }</script>
</body></html>`;
}

export const oauthCallbackRoutes: FastifyPluginAsyncTypebox<{ services: IntegrationServices }> = async (app, { services: s }) => {
  app.get(
    '/oauth/callback',
    {
      schema: {
        tags: ['integrations'],
        summary: "The FSM's redirect back after the user granted (or refused) access",
        description:
          'No bearer token: the `state` authenticates the request (signed, 10 minutes, once). On success the tokens are stored encrypted, ' +
          "the sync schedule is created, a first sync starts, and the answer opens the post-connection setup: the Dashboard GETs the integration " +
          'and PATCHes `writebackEnabled` (sync_direction both / import). A browser (Accept: text/html) gets a small page that tells the window ' +
          "which opened the flow (`postMessage({type: 'taskhub:integration-connected', integrationId})`); anything else gets JSON. " +
          'A refusal (`error=access_denied`) leaves the integration needs_reconnect with the error shown: 400. When Temporal cannot be ' +
          'reached, the integration is connected all the same (200); its schedule and first sync follow once Temporal is back.',
        security: [],
        querystring: OAuthCallbackQuery,
        response: {
          200: {
            content: {
              'application/json': { schema: OAuthCallbackResult },
              'text/html': { schema: Type.String({ description: 'the page for a browser' }) },
            },
          },
          ...errors(400, 502),
        },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const check = s.state.verify(q.state);
      if (!check.ok) throw invalidState(check.reason);
      const { tenantId, integrationId, nonce } = check.claims;
      const integration = await consumeOAuthNonce(s.sql, tenantId, integrationId, nonce);
      if (!integration) throw invalidState('the state was used already, or a newer connection attempt replaced it: start the connection again');
      const name = integration.displayName;

      if (q.error || !q.code) {
        const why = q.error ? `${q.error}${q.error_description ? `: ${q.error_description}` : ''}` : 'no authorization code came back';
        await recordIntegrationError(s.sql, tenantId, integrationId, `${name}: the connection was not granted (${why})`);
        throw new HttpError(400, 'authorization_refused', `${name} did not grant access (${why}); connect again from the Dashboard`);
      }

      let tokens;
      try {
        tokens = await exchangeCode(oauthSettingsOf(s, integration), q.code, s.redirectUri);
      } catch (err) {
        if (err instanceof FsmError) await recordIntegrationError(s.sql, tenantId, integrationId, `${name}: the connection failed (${err.message})`);
        throw fsmFailure(err, `${name} did not issue tokens`);
      }
      const credentials = { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
      const accountId = await connectedAccount(s, integration, tokens.accessToken, request.log);
      await s.sql.begin((tx) => saveConnection(tx, s.cipher, tenantId, integrationId, credentials, tokens.expiresAt, accountId));
      // The connection stands even when Temporal is down: the schedule and first sync then follow from the reconciler.
      const syncing = await afterConnected(s, integration, request.log);

      const connected = (await getIntegration(s.sql, tenantId, integrationId))!;
      const integrationUrl = `/v1/integrations/${integrationId}`;
      // A browser's navigation asks for text/html first; fetch() and tests ask for JSON or anything.
      if ((request.headers.accept ?? '').includes('text/html')) {
        return reply.type('text/html').send(connectedPage(connected, integrationUrl));
      }
      const sync = syncing ? 'its first sync has started' : 'its first sync starts shortly';
      return reply.type('application/json').send({
        integration: integrationView(s, connected),
        next: {
          step: 'post_connection_setup' as const,
          message: `${name} is connected and ${sync}. Open the post-connection setup: choose whether to write completed sessions back as job notes (PATCH writebackEnabled).`,
          integrationUrl,
        },
      });
    },
  );
};
