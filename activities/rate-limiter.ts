/**
 * Paces FSM requests per integration (or per Simpro build): one token bucket
 * per RateRule key (connectors/registry.ts), in this worker process.
 *
 * What it does not cover: it is per process. Several worker processes each
 * keep their own buckets, so together they can exceed a limit; the FSM then
 * answers 429, which maps to rate_limited with Retry-After and the activity
 * retries after that delay (activities/fsm-failures.ts), so the sync slows
 * down instead of failing. Jobber's query-cost budget is not modelled here:
 * its THROTTLED answers take the same rate_limited path.
 */
import type { RateRule } from '../connectors/registry';
import type { TokenSource } from '../connectors/types';

interface Bucket {
  /** May go below zero: each caller reserves its token, then waits until it exists. */
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Reserves one request; returns how many ms the caller must wait before sending it. */
  reserve(rule: RateRule): number {
    const now = this.now();
    const bucket = this.buckets.get(rule.key) ?? { tokens: rule.capacity, at: now };
    bucket.tokens = Math.min(rule.capacity, bucket.tokens + ((now - bucket.at) / 1000) * rule.perSecond) - 1;
    bucket.at = now;
    this.buckets.set(rule.key, bucket);
    return bucket.tokens >= 0 ? 0 : Math.ceil((-bucket.tokens / rule.perSecond) * 1000);
  }

  async take(rule: RateRule): Promise<void> {
    const wait = this.reserve(rule);
    if (wait > 0) await this.sleep(wait);
  }
}

/**
 * A TokenSource whose every use waits its turn. Connectors ask for the token
 * right before each request (connectors/http.ts; the retry after a 401 takes
 * the refreshed one), so pacing the token paces every request they send.
 */
export function paced(source: TokenSource, limiter: RateLimiter, rule: RateRule): TokenSource {
  return {
    accessToken: async () => {
      await limiter.take(rule);
      return source.accessToken();
    },
    refresh: async () => {
      await limiter.take(rule);
      return source.refresh();
    },
  };
}
