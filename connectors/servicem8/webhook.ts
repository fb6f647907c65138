/**
 * ServiceM8 webhooks (fsm-apis.md §1.5).
 *
 * Authenticity: ServiceM8 signs nothing on the Webhooks API (staff say only
 * Add-on SDK callbacks are signed) and lets a subscriber set nothing but the
 * callback URL, so no header of ours can ride along. We therefore register
 * the callback URL with a per-integration shared secret in its query:
 *
 *     https://<api>/v1/webhooks/servicem8/<integrationId>?secret=<secret>
 *
 * and compare it in constant time. The secret is in the URL, so it must never
 * be logged with the request URL. `WebhookRequest` carries no URL today: the
 * webhook route passes the parsed query as `query` (WebhookRequest.query).
 */
import type { WebhookEvent, WebhookRequest } from '../types';
import { bodyDigest, headerValue, secretsEqual } from '../webhook-auth';

export const SERVICEM8_WEBHOOK_SECRET_PARAM = 'secret';

/** Our secret rides in the callback URL's query: ServiceM8 lets a subscriber set nothing else. */
export function verifyServiceM8Webhook(request: WebhookRequest, secret: string): boolean {
  const given = request.query?.[SERVICEM8_WEBHOOK_SECRET_PARAM];
  return typeof given === 'string' && secretsEqual(given, secret);
}

/** The subscribe challenge may come form-encoded; deliveries come as JSON. */
function body(request: WebhookRequest): Record<string, unknown> | null {
  const text = request.rawBody.toString('utf8');
  if (headerValue(request, 'content-type').includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const strings = (values: unknown[]) => [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length > 0))];

/** The job uuids a delivery names: object webhooks (`object`, `entry[].uuid`) or event webhooks (`event_type`, `data`). */
function changedJobs(payload: Record<string, unknown>): string[] {
  if (typeof payload.object === 'string' && payload.object.toLowerCase() === 'job' && Array.isArray(payload.entry)) {
    return strings(payload.entry.map((e: { uuid?: unknown } | null) => e?.uuid));
  }
  // Event webhooks: the spec's WebhookEvent has `event_type` and a `data` object whose
  // fields are not documented (fsm-apis.md §6): best effort on the job's uuid.
  if (typeof payload.event_type === 'string' && payload.event_type.startsWith('job.') && payload.data && typeof payload.data === 'object') {
    const data = payload.data as { uuid?: unknown; job_uuid?: unknown };
    return strings([data.job_uuid ?? data.uuid]);
  }
  return [];
}

export function parseServiceM8Webhook(request: WebhookRequest): WebhookEvent {
  const payload = body(request);
  if (!payload) return { kind: 'ignored' };
  if (payload.mode === 'subscribe' && typeof payload.challenge === 'string') return { kind: 'challenge', response: payload.challenge };
  const externalJobIds = changedJobs(payload);
  if (externalJobIds.length === 0) return { kind: 'ignored' };
  // ServiceM8 sends no delivery id; a redelivery repeats the same body (entry[].time included), so its digest is one.
  return { kind: 'jobs_changed', externalJobIds, deliveryId: bodyDigest(request) };
}
