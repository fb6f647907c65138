/**
 * What every connector's webhook check needs: a header's value, and
 * comparisons that take the same time whatever the input (timingSafeEqual
 * throws on unequal lengths, so strings are compared as SHA-256 digests).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookRequest } from './types';

/** The header's first value, trimmed; '' when absent. Names are lower-case (Node's). */
export function headerValue(request: WebhookRequest, name: string): string {
  const value = request.headers[name];
  return ((Array.isArray(value) ? value[0] : value) ?? '').trim();
}

const sha256 = (value: string | Buffer) => createHash('sha256').update(value).digest();

/** Equal strings, compared in constant time; an empty secret never matches. */
export function secretsEqual(given: string, secret: string): boolean {
  return secret.length > 0 && given.length > 0 && timingSafeEqual(sha256(given), sha256(secret));
}

/** Equal bytes, in constant time for equal lengths (a signature's length is public). */
export function bytesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function hmacSha256(secret: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/** A delivery id for FSMs that send none: a redelivery repeats the same body, so the same digest. */
export function bodyDigest(request: WebhookRequest): string {
  return `sha256:${sha256(request.rawBody).toString('hex')}`;
}
