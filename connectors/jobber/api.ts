/**
 * Jobber's one GraphQL endpoint, through graphql-request. HTTP goes through
 * connectors/http.ts (as graphql-request's `fetch`), so Jobber gets the same
 * bearer auth, one refresh-and-retry on 401, timeouts and HTTP error taxonomy
 * as the REST connectors; this file adds what only GraphQL says: top-level
 * `errors[]` (THROTTLED with its query cost) on a 200.
 */
import { GraphQLClient } from 'graphql-request';
import { FsmError } from '../errors';
import { createHttpClient } from '../http';
import type { ConnectionSettings, TokenSource } from '../types';

const PROVIDER = 'jobber';

/** `extensions.cost` on every Jobber response (fsm-apis.md §3.6). */
export interface QueryCost {
  requestedQueryCost?: number;
  actualQueryCost?: number | null;
  throttleStatus?: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
}

interface GraphQLErrorBody {
  message: string;
  extensions?: { code?: string };
}

/** What calls on a disconnected account answer (fsm-apis.md §3.2): the grant is gone. */
const DISCONNECTED = /disconnected this app/i;

function messageOf(body: unknown): string {
  if (typeof body === 'string') return body;
  const b = body as { message?: unknown; error?: unknown; errors?: { message?: unknown }[] } | null;
  return String(b?.message ?? b?.error ?? b?.errors?.map((e) => e.message).join('; ') ?? JSON.stringify(body));
}

/**
 * How long until the bucket holds what the throttled query asked for: Jobber
 * restores `restoreRate` points a second (the official template sleeps
 * `(max - available) / restoreRate`; the requested cost, when Jobber sends it,
 * is the tighter figure).
 */
export function throttleWaitMs(cost: QueryCost | undefined): number | undefined {
  const status = cost?.throttleStatus;
  if (!status || !(status.restoreRate > 0)) return undefined;
  const needed = (cost?.requestedQueryCost ?? status.maximumAvailable) - status.currentlyAvailable;
  return Math.max(0, Math.ceil((needed / status.restoreRate) * 1000));
}

function graphqlFailure(errors: GraphQLErrorBody[], extensions: unknown): FsmError {
  const message = `${PROVIDER}: ${errors.map((e) => e.message).join('; ')}`;
  const details = { provider: PROVIDER };
  if (errors.some((e) => e.extensions?.code === 'THROTTLED')) {
    return new FsmError('rate_limited', message, { ...details, retryAfterMs: throttleWaitMs((extensions as { cost?: QueryCost } | undefined)?.cost) });
  }
  if (errors.some((e) => DISCONNECTED.test(e.message))) return new FsmError('auth_revoked', message, details);
  // UNVERIFIED: how Jobber reports a missing record to a mutation is not public; `job(id:)` itself answers null.
  if (errors.some((e) => e.extensions?.code === 'NOT_FOUND' || /not found/i.test(e.message))) return new FsmError('not_found', message, details);
  // Anything else (an internal error, or a document the server no longer
  // accepts after Jobber auto-upgrades a retired API version) is retried with
  // backoff rather than dropped: a deployed fix then lets the work finish.
  return new FsmError('transient', message, details);
}

export interface JobberApiOptions {
  graphqlVersion: string;
  timeoutMs?: number;
}

export type JobberGraphql = <T>(auth: TokenSource, settings: ConnectionSettings, document: string, variables: Record<string, unknown>) => Promise<T>;

export function createJobberApi(options: JobberApiOptions): JobberGraphql {
  const http = createHttpClient({
    provider: PROVIDER,
    errorMessage: (_status, body) => messageOf(body),
    classify: (_status, body, fallback) =>
      DISCONNECTED.test(messageOf(body)) ? new FsmError('auth_revoked', fallback.message, fallback.details) : fallback,
  });

  /** graphql-request's fetch, sent through connectors/http.ts; its FsmErrors pass through graphql-request untouched. */
  const fetchVia =
    (auth: TokenSource): typeof fetch =>
    async (input, init) => {
      const res = await http<unknown>(auth, {
        method: 'POST',
        url: input instanceof Request ? input.url : String(input),
        headers: Object.fromEntries(new Headers(init?.headers)),
        body: JSON.parse(String(init?.body)),
        timeoutMs: options.timeoutMs,
      });
      return new Response(JSON.stringify(res.body), { status: res.status, headers: { 'content-type': 'application/json' } });
    };

  return async function graphql<T>(auth: TokenSource, settings: ConnectionSettings, document: string, variables: Record<string, unknown>) {
    const client = new GraphQLClient(settings.baseUrl, {
      fetch: fetchVia(auth),
      headers: { 'X-JOBBER-GRAPHQL-VERSION': options.graphqlVersion },
      // Errors come back with the data and extensions, so THROTTLED can be read with its cost.
      errorPolicy: 'all',
    });
    let res: Awaited<ReturnType<typeof client.rawRequest<T>>>;
    try {
      res = await client.rawRequest<T>(document, variables);
    } catch (err) {
      if (err instanceof FsmError) throw err;
      // graphql-request could not read the answer as a GraphQL result.
      throw new FsmError('transient', `${PROVIDER}: ${(err as Error).message}`, { provider: PROVIDER });
    }
    if (res.errors?.length) throw graphqlFailure(res.errors as GraphQLErrorBody[], res.extensions);
    return res.data;
  };
}
