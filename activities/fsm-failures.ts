/**
 * The one place connector errors become Temporal failures. The failure's
 * `type` is the FsmError kind (connectors/errors.ts), which workflows and
 * retry policies refer to.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { FsmError, type FsmErrorKind } from '../connectors/errors';

/** Retrying sends the same thing and gets the same answer. */
const NON_RETRYABLE: ReadonlySet<FsmErrorKind> = new Set(['payload_rejected', 'auth_revoked', 'not_found']);

export function toApplicationFailure(err: FsmError): ApplicationFailure {
  const retryAfterMs = err.kind === 'rate_limited' ? err.details.retryAfterMs : undefined;
  return ApplicationFailure.create({
    type: err.kind,
    message: err.message,
    nonRetryable: NON_RETRYABLE.has(err.kind),
    // A 429's Retry-After (or Jobber's throttle wait) replaces the backoff: the sync slows down instead of failing.
    ...(retryAfterMs !== undefined ? { nextRetryDelay: Math.max(retryAfterMs, 1) } : {}),
    details: [{ provider: err.details.provider ?? null, status: err.details.status ?? null }],
    cause: err,
  });
}

/** Runs `fn`, turning an FsmError it throws into its ApplicationFailure; other errors pass unchanged. */
export async function mapFsmErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof FsmError ? toApplicationFailure(err) : err;
  }
}
