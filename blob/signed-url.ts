/**
 * Signed recording URLs: GET /v1/recordings/<sessionId>?t=<tenantId>&exp=<unix seconds>&sig=<HMAC>.
 * A video player, or a job note in an FSM, cannot send our bearer token, so
 * the link itself is the credential: HMAC-SHA256 (RECORDING_URL_KEY) over the
 * tenant, the session and the expiry. Anyone holding the link can watch the
 * recording until it expires, which is why the TTL is short by default.
 * The writeback's job note builds its link with signRecordingUrl too.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config';

export interface RecordingUrlSettings {
  /** Where the API is reachable from outside (config.publicUrl). */
  publicUrl: string;
  /** config.sessions.recordingUrlKey */
  key: string;
  /** How long the link works (config.sessions.recordingUrlTtlSeconds). */
  ttlSeconds: number;
}

/** The settings as configured: PUBLIC_URL, RECORDING_URL_KEY, RECORDING_URL_TTL_SECONDS. */
export function recordingUrlSettings(config: Pick<Config, 'publicUrl' | 'sessions'>): RecordingUrlSettings {
  return { publicUrl: config.publicUrl, key: config.sessions.recordingUrlKey, ttlSeconds: config.sessions.recordingUrlTtlSeconds };
}

export interface RecordingRef {
  tenantId: string;
  sessionId: string;
}

export interface RecordingSignature extends RecordingRef {
  /** Expiry, unix seconds. */
  exp: number;
  /** base64url HMAC-SHA256. */
  sig: string;
}

export type SignatureCheck = 'ok' | 'expired' | 'bad_signature';

function mac(key: string, { tenantId, sessionId }: RecordingRef, exp: number): Buffer {
  // Versioned and purpose-bound, so a MAC made for something else never passes here.
  return createHmac('sha256', key).update(`taskhub recording v1\n${tenantId}\n${sessionId}\n${exp}`).digest();
}

/** An absolute URL for the session's recording, valid for `ttlSeconds` from `now` (ms). */
export function signRecordingUrl(settings: RecordingUrlSettings, ref: RecordingRef, now: number = Date.now()): string {
  const exp = Math.floor(now / 1000) + settings.ttlSeconds;
  const sig = mac(settings.key, ref, exp).toString('base64url');
  const query = new URLSearchParams({ t: ref.tenantId, exp: String(exp), sig });
  return `${settings.publicUrl.replace(/\/+$/, '')}/v1/recordings/${encodeURIComponent(ref.sessionId)}?${query.toString()}`;
}

/** The signature is checked first (in constant time), so a link whose expiry was edited is `bad_signature`. */
export function verifyRecordingSignature(key: string, signed: RecordingSignature, now: number = Date.now()): SignatureCheck {
  const given = Buffer.from(signed.sig, 'base64url');
  const expected = mac(key, signed, signed.exp);
  // Node's base64url decoder skips stray characters: only the canonical spelling counts.
  const canonical = given.toString('base64url') === signed.sig;
  if (!canonical || given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad_signature';
  return signed.exp * 1000 <= now ? 'expired' : 'ok';
}
