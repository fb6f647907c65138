/**
 * Simpro webhooks (fsm-apis.md §2.5).
 *
 * !!! UNVERIFIED SIGNATURE SCHEME !!!
 * Simpro's subscriptions take an optional `Secret`, but no official source
 * says how (or whether) a delivery is signed. Third-party code disagrees: one
 * assumes an `X-Simpro-Signature` HMAC-SHA256 of the body, one compares the
 * header to the secret itself, one says there is no signature. We default to
 * the first — HMAC-SHA256 of the raw body keyed with the subscription's
 * Secret, in the `X-Simpro-Signature` header, hex or base64 — and make the
 * header and scheme configuration (`createSimproConnector({ webhookSignature })`).
 * Check it against a real build's delivery before relying on it: if the
 * guess is wrong every delivery answers 401, and the scheduled sync still
 * picks the changes up.
 *
 * Payload ([3P-DOC], from forum posts):
 *   {"ID":"job.status","build":"…","name":"Job","action":"status",
 *    "reference":{"companyID":0,"jobID":300555,"statusID":10},"date_triggered":"…"}
 */
import type { WebhookEvent, WebhookRequest } from '../types';
import { bodyDigest, bytesEqual, headerValue, hmacSha256, secretsEqual } from '../webhook-auth';

export interface SimproWebhookSignature {
  /** Lower-case header name. */
  header: string;
  /** `hmac-sha256`: HMAC-SHA256(raw body, Secret), hex or base64. `shared-secret`: the header is the Secret itself. */
  scheme: 'hmac-sha256' | 'shared-secret';
}

export const SIMPRO_WEBHOOK_SIGNATURE: SimproWebhookSignature = { header: 'x-simpro-signature', scheme: 'hmac-sha256' };

/** The signature's bytes, whether it came as hex or base64 (with or without a `sha256=` prefix). */
function signatureBytes(value: string): Buffer {
  const v = value.replace(/^sha256=/i, '');
  return /^[0-9a-f]{64}$/i.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
}

export function verifySimproWebhook(request: WebhookRequest, secret: string, signature = SIMPRO_WEBHOOK_SIGNATURE): boolean {
  const given = headerValue(request, signature.header);
  if (!given || !secret) return false;
  return signature.scheme === 'shared-secret'
    ? secretsEqual(given, secret)
    : bytesEqual(signatureBytes(given), hmacSha256(secret, request.rawBody));
}

interface SimproPayload {
  ID?: unknown;
  reference?: { companyID?: unknown; jobID?: unknown } | null;
}

export function parseSimproWebhook(request: WebhookRequest): WebhookEvent {
  let payload: SimproPayload;
  try {
    payload = JSON.parse(request.rawBody.toString('utf8')) as SimproPayload;
  } catch {
    return { kind: 'ignored' };
  }
  const jobId = payload?.reference?.jobID;
  // Every job.* event (created, updated, deleted, status, stage.*, note.*, schedule.*) means "re-fetch the job".
  if (typeof payload?.ID !== 'string' || !payload.ID.startsWith('job.') || (typeof jobId !== 'number' && typeof jobId !== 'string') || jobId === '') {
    return { kind: 'ignored' };
  }
  // No delivery id is documented; a redelivery repeats the body (date_triggered included), so its digest is one.
  return { kind: 'jobs_changed', externalJobIds: [String(jobId)], deliveryId: bodyDigest(request) };
}
