/**
 * One error taxonomy for every FSM. Connectors throw FsmError; the one
 * function in activities/fsm-failures.ts turns it into a Temporal
 * ApplicationFailure whose `type` workflows and retry policies refer to.
 */
export const FSM_ERROR_KINDS = [
  /** The access token expired or was refused: refresh it and try again. */
  'auth_expired',
  /** The grant is gone (invalid_grant, app disconnected): the integration needs a reconnect. */
  'auth_revoked',
  /** Too many requests: wait `retryAfterMs`, then try again. */
  'rate_limited',
  /** The FSM refused the payload (Simpro 422, Jobber userErrors): retrying cannot help. */
  'payload_rejected',
  /** The job (or note) does not exist in the FSM. */
  'not_found',
  /** Network errors, 5xx, timeouts: try again with backoff. */
  'transient',
] as const;
export type FsmErrorKind = (typeof FSM_ERROR_KINDS)[number];

export class FsmError extends Error {
  constructor(
    readonly kind: FsmErrorKind,
    message: string,
    readonly details: { provider?: string; status?: number; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.name = 'FsmError';
  }
}

/** Retry-After is either seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The taxonomy for a plain HTTP status; connectors refine it from the body where the FSM says more. */
export function errorForStatus(provider: string, status: number, message: string, retryAfter?: string | null): FsmError {
  const details = { provider, status };
  if (status === 401) return new FsmError('auth_expired', message, details);
  if (status === 403) return new FsmError('auth_revoked', message, details);
  if (status === 404) return new FsmError('not_found', message, details);
  if (status === 429) return new FsmError('rate_limited', message, { ...details, retryAfterMs: parseRetryAfter(retryAfter) });
  if (status === 400 || status === 409 || status === 422) return new FsmError('payload_rejected', message, details);
  return new FsmError('transient', message, details);
}
