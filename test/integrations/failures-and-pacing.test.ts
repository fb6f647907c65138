/**
 * The two small pieces between connectors and Temporal: the one mapping of
 * FsmError to ApplicationFailure, and the per-integration request pacing.
 */
import { ApplicationFailure } from '@temporalio/common';
import { mapFsmErrors, toApplicationFailure } from '../../activities/fsm-failures';
import { RateLimiter, paced } from '../../activities/rate-limiter';
import { FSM_ERROR_KINDS, FsmError } from '../../connectors/errors';
import type { RateRule } from '../../connectors/registry';

describe('toApplicationFailure', () => {
  test('the failure type is the error kind; only what cannot succeed on retry is non-retryable', () => {
    const nonRetryable = FSM_ERROR_KINDS.filter((kind) => toApplicationFailure(new FsmError(kind, kind)).nonRetryable);
    expect(nonRetryable.sort()).toEqual(['auth_revoked', 'not_found', 'payload_rejected']);
    for (const kind of FSM_ERROR_KINDS) expect(toApplicationFailure(new FsmError(kind, `${kind} happened`))).toMatchObject({ type: kind, message: `${kind} happened` });
  });

  test("rate_limited retries after the FSM's Retry-After instead of the backoff", () => {
    const failure = toApplicationFailure(new FsmError('rate_limited', '429', { provider: 'servicem8', status: 429, retryAfterMs: 7000 }));
    expect(failure).toMatchObject({ type: 'rate_limited', nonRetryable: false, nextRetryDelay: 7000 });
    expect(toApplicationFailure(new FsmError('rate_limited', '429')).nextRetryDelay).toBeUndefined();
    expect(toApplicationFailure(new FsmError('transient', '503', { retryAfterMs: 5000 })).nextRetryDelay).toBeUndefined();
  });

  test('mapFsmErrors maps FsmErrors and lets every other error through', async () => {
    await expect(mapFsmErrors(() => Promise.reject(new FsmError('auth_revoked', 'gone')))).rejects.toBeInstanceOf(ApplicationFailure);
    const other = new Error('a bug');
    await expect(mapFsmErrors(() => Promise.reject(other))).rejects.toBe(other);
    await expect(mapFsmErrors(async () => 42)).resolves.toBe(42);
  });
});

describe('RateLimiter', () => {
  const rule: RateRule = { key: 'servicem8:i1', capacity: 3, perSecond: 2 };

  function clock() {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  test('a burst up to the capacity goes at once; then each request waits its turn at the rate', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now);
    expect([1, 2, 3].map(() => limiter.reserve(rule))).toEqual([0, 0, 0]);
    // Concurrent callers each reserve a later slot: 0.5 s apart at 2 a second.
    expect([1, 2, 3].map(() => limiter.reserve(rule))).toEqual([500, 1000, 1500]);
    c.advance(5000);
    expect(limiter.reserve(rule)).toBe(0);
  });

  test('buckets are per key: one integration does not slow another', () => {
    const limiter = new RateLimiter(clock().now);
    for (let i = 0; i < 3; i++) limiter.reserve(rule);
    expect(limiter.reserve(rule)).toBeGreaterThan(0);
    expect(limiter.reserve({ ...rule, key: 'servicem8:i2' })).toBe(0);
  });

  test('paced() takes a turn before every token use, refreshes included', async () => {
    const slept: number[] = [];
    const limiter = new RateLimiter(clock().now, async (ms) => {
      slept.push(ms);
    });
    const auth = paced({ accessToken: async () => 'at', refresh: async () => 'at2' }, limiter, { key: 'k', capacity: 1, perSecond: 1 });
    expect(await auth.accessToken()).toBe('at');
    expect(await auth.refresh()).toBe('at2');
    expect(await auth.accessToken()).toBe('at');
    expect(slept).toEqual([1000, 2000]);
  });
});
