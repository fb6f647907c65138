/**
 * Commusoft webhooks: UNVERIFIED end to end. No event names, payload or
 * signature scheme is public (fsm-apis.md §4.5, NOT FOUND); only Zapier's
 * instant triggers (New Job, Job Closed) show that push events exist. So the
 * scheme is ours, all of it configuration: a per-integration shared secret in
 * a header (compared in constant time), a JSON body naming the job.
 */
import type { WebhookEvent, WebhookRequest } from '../types';
import { headerValue, secretsEqual } from '../webhook-auth';

export interface CommusoftWebhookConfig {
  /** The header carrying the shared secret (lower-case: Node's header names). */
  webhookSecretHeader: string;
  /** Body fields naming the job and the delivery. */
  webhookJobIdField: string;
  webhookDeliveryIdField: string;
}

export function verifyCommusoftWebhook(config: CommusoftWebhookConfig, req: WebhookRequest, secret: string): boolean {
  return secretsEqual(headerValue(req, config.webhookSecretHeader.toLowerCase()), secret);
}

export function parseCommusoftWebhook(config: CommusoftWebhookConfig, req: WebhookRequest): WebhookEvent {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(req.rawBody.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { kind: 'ignored' };
  }
  const jobId = body?.[config.webhookJobIdField];
  if (typeof jobId !== 'string' || !jobId) return { kind: 'ignored' };
  const deliveryId = body[config.webhookDeliveryIdField];
  return { kind: 'jobs_changed', externalJobIds: [jobId], deliveryId: typeof deliveryId === 'string' && deliveryId ? deliveryId : null };
}
