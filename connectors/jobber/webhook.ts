/**
 * Jobber webhooks (fsm-apis.md §3.5): `X-Jobber-Hmac-SHA256` is
 * Base64(HMAC-SHA256(app client secret, raw body)), as the official
 * template's WebhookReceiverController checks it. The payload carries ids
 * only: the job is re-fetched.
 */
import type { WebhookEvent, WebhookRequest } from '../types';
import { bytesEqual, headerValue, hmacSha256 } from '../webhook-auth';

export function verifyJobberWebhook(req: WebhookRequest, clientSecret: string): boolean {
  const received = headerValue(req, 'x-jobber-hmac-sha256');
  if (!received || !clientSecret) return false;
  return bytesEqual(Buffer.from(received, 'base64'), hmacSha256(clientSecret, req.rawBody));
}

interface JobberWebhookBody {
  data?: { webHookEvent?: { topic?: string; itemId?: string; accountId?: string; occurredAt?: string; occuredAt?: string } };
}

export function parseJobberWebhook(req: WebhookRequest): WebhookEvent {
  let body: JobberWebhookBody;
  try {
    body = JSON.parse(req.rawBody.toString('utf8')) as JobberWebhookBody;
  } catch {
    return { kind: 'ignored' };
  }
  const event = body.data?.webHookEvent;
  // JOB_CREATE / JOB_UPDATE / JOB_DESTROY (and JOB_CLOSED in newer versions): re-fetch the job;
  // a destroyed one comes back null, which the sync treats as deleted.
  if (!event?.topic?.startsWith('JOB_') || !event.itemId) {
    // APP_DISCONNECT lands here too: the integrations layer, which knows the
    // account, should mark the integration needs_reconnect on it (WebhookEvent
    // has no kind for that yet); the next API call fails auth_revoked anyway.
    return { kind: 'ignored' };
  }
  // Delivery is at-least-once and carries no delivery id: the event's own
  // identity (topic, item, time) makes a repeat recognisable. The schema spells
  // the time `occuredAt`, the docs `occurredAt` (fsm-apis.md §3.5): accept both.
  const at = event.occurredAt ?? event.occuredAt ?? '';
  return { kind: 'jobs_changed', externalJobIds: [event.itemId], deliveryId: `${event.topic}:${event.itemId}:${at}` };
}
