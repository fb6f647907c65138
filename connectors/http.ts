/**
 * JSON over HTTP for the REST connectors: bearer auth, one refresh-and-retry
 * on 401, timeouts, and every failure mapped to an FsmError.
 */
import { FsmError, errorForStatus } from './errors';
import type { TokenSource } from './types';

export interface HttpRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface HttpResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface HttpClientOptions {
  provider: string;
  /** Turns an error response into a message (each FSM has its own error body). */
  errorMessage?: (status: number, body: unknown) => string;
  /** Refines the taxonomy from the body (a 403 that means "disconnected", say). */
  classify?: (status: number, body: unknown, fallback: FsmError) => FsmError;
  /** How the token is sent; a Bearer Authorization header unless the FSM wants another (Commusoft: X-Auth-Token). */
  authHeaders?: (token: string) => Record<string, string>;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function withQuery(url: string, query: HttpRequest['query']): string {
  if (!query) return url;
  const u = new URL(url);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
  return u.toString();
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function createHttpClient(options: HttpClientOptions) {
  const { provider } = options;

  async function once<T>(req: HttpRequest, token: string): Promise<HttpResponse<T>> {
    let res: Response;
    try {
      res = await fetch(withQuery(req.url, req.query), {
        method: req.method ?? 'GET',
        headers: {
          accept: 'application/json',
          ...(options.authHeaders ?? bearer)(token),
          ...(req.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...req.headers,
        },
        body: req.body === undefined ? undefined : JSON.stringify(req.body),
        signal: AbortSignal.timeout(req.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new FsmError('transient', `${provider}: ${(err as Error).message}`, { provider });
    }
    const body = await readBody(res);
    if (res.ok) return { status: res.status, headers: res.headers, body: body as T };
    const message = `${provider} ${res.status}: ${options.errorMessage?.(res.status, body) ?? (typeof body === 'string' ? body : JSON.stringify(body))}`;
    const error = errorForStatus(provider, res.status, message, res.headers.get('retry-after'));
    throw options.classify ? options.classify(res.status, body, error) : error;
  }

  /** Sends the request; after a 401 it refreshes the token once and sends it again. */
  return async function request<T>(auth: TokenSource, req: HttpRequest): Promise<HttpResponse<T>> {
    try {
      return await once<T>(req, await auth.accessToken());
    } catch (err) {
      if (!(err instanceof FsmError) || err.kind !== 'auth_expired') throw err;
      return once<T>(req, await auth.refresh());
    }
  };
}
