/**
 * Jobber webhooks (fsm-apis.md §3.5): `X-Jobber-Hmac-SHA256` is
 * Base64(HMAC-SHA256(app client secret, raw body)), as the official
 * template's WebhookReceiverController checks it. The payload carries ids
 * only (a job event starts a sync), and the account it is about: an app has
 * one webhook URL for every account that installed it, so deliveries are
 * routed by `accountId` (api/routes/webhooks.ts).
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
  const event = body?.data?.webHookEvent;
  if (!event || typeof event !== 'object') return { kind: 'ignored' };
  // Jobber posts every account's deliveries to the app's one URL: the account says whose it is.
  const account = typeof event.accountId === 'string' && event.accountId ? { accountId: event.accountId } : {};
  // The schema spells the time `occuredAt`, the docs `occurredAt` (fsm-apis.md §3.5): accept both.
  const at = event.occurredAt ?? event.occuredAt ?? null;
  // Delivery is at-least-once and carries no delivery id: the event's own
  // identity (topic, item, time) makes a repeat recognisable.
  const deliveryId = `${event.topic}:${event.itemId ?? ''}:${at ?? ''}`;
  // fsm-apis.md §3.2: the account removed the app, and its tokens are dead.
  if (event.topic === 'APP_DISCONNECT') {
    return { kind: 'disconnected', reason: 'the app was disconnected from the Jobber account (APP_DISCONNECT)', occurredAt: at, deliveryId, ...account };
  }
  // JOB_CREATE / JOB_UPDATE / JOB_DESTROY (and JOB_CLOSED in newer versions) start a sync, which lists
  // what changed. A destroyed job is not in that listing: the periodic full listing finds it gone.
  if (!event.topic?.startsWith('JOB_') || !event.itemId) return { kind: 'ignored', ...account };
  return { kind: 'jobs_changed', externalJobIds: [event.itemId], deliveryId, ...account };
}
