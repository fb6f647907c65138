/**
 * The shared part of the fake FSM servers: a real HTTP server on loopback
 * with OAuth2 endpoints that issue, refresh, rotate and revoke tokens, a log
 * of every request, and fault switches. Each FSM's fake (test/fakes/<fsm>.ts)
 * adds its own API routes in that FSM's real shapes through `api()`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FakeFsmOptions {
  name: string;
  clientId?: string;
  clientSecret?: string;
  /** Access-token lifetime in seconds (ServiceM8/Simpro/Jobber: about an hour). */
  accessTokenTtlSeconds?: number;
  /** Each refresh returns a new refresh token and invalidates the old one at once (Jobber). */
  rotateRefreshTokens?: boolean;
  /** The body the FSM sends with a 401. */
  unauthorizedBody?: unknown;
  /** The body the FSM sends with a 429. */
  rateLimitedBody?: unknown;
}

type Fault =
  | { kind: 'status'; status: number; body: unknown; remaining: number }
  | { kind: 'rate_limit'; retryAfterSeconds: number; remaining: number }
  | { kind: 'lose_response'; remaining: number };

export class FakeFsm {
  readonly app: FastifyInstance;
  readonly clientId: string;
  readonly clientSecret: string;
  url = '';
  readonly requests: RecordedRequest[] = [];
  private readonly codes = new Map<string, { redirectUri: string }>();
  private readonly accessTokens = new Map<string, { expiresAt: number }>();
  private readonly refreshTokens = new Set<string>();
  private faults: Fault[] = [];
  private noteRejections: string[] = [];
  private holds: { arrive: () => void; released: Promise<void> }[] = [];
  /** Every API response is delayed by this much (slow FSM). */
  delayMs = 0;

  constructor(readonly options: FakeFsmOptions) {
    this.clientId = options.clientId ?? `${options.name}-client`;
    this.clientSecret = options.clientSecret ?? `${options.name}-secret`;
    this.app = Fastify({ logger: false });
    this.app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    this.app.addHook('onRequest', async (req) => {
      // Recorded before routing, so requests to unknown paths show up too.
      const url = new URL(req.url, 'http://fake');
      this.requests.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body: undefined });
    });
    this.app.addHook('preHandler', async (req) => {
      const last = this.requests[this.requests.length - 1];
      if (last) last.body = req.body;
    });
  }

  // ---- OAuth2 (authorization code + refresh) --------------------------------

  /** Registers the authorize and token endpoints at the FSM's paths. */
  oauthEndpoints(paths: { authorize: string; token: string }): this {
    this.app.get(paths.authorize, async (req, reply) => {
      const q = req.query as Record<string, string>;
      if (q.client_id !== this.clientId) return reply.status(400).send({ error: 'invalid_client' });
      const code = randomBytes(12).toString('hex');
      this.codes.set(code, { redirectUri: q.redirect_uri ?? '' });
      // The user "approves" at once: straight back to the app with the code.
      const back = new URL(q.redirect_uri ?? '');
      back.searchParams.set('code', code);
      if (q.state) back.searchParams.set('state', q.state);
      return reply.redirect(back.toString());
    });
    this.app.post(paths.token, async (req, reply) => {
      const form = (req.body ?? {}) as Record<string, string>;
      const [basicId, basicSecret] = basicAuth(req);
      const id = form.client_id ?? basicId;
      const secret = form.client_secret ?? basicSecret;
      if (id !== this.clientId || secret !== this.clientSecret) return reply.status(401).send({ error: 'invalid_client' });
      if (form.grant_type === 'authorization_code') {
        if (!form.code || !this.codes.delete(form.code)) return reply.status(400).send({ error: 'invalid_grant' });
        return this.issueTokens();
      }
      if (form.grant_type === 'refresh_token') {
        const token = form.refresh_token ?? '';
        if (!this.refreshTokens.has(token)) {
          return reply.status(400).send({ error: 'invalid_grant', error_description: 'refresh token is invalid or revoked' });
        }
        if (this.options.rotateRefreshTokens) this.refreshTokens.delete(token);
        return this.issueTokens(this.options.rotateRefreshTokens ? undefined : token);
      }
      return reply.status(400).send({ error: 'unsupported_grant_type' });
    });
    return this;
  }

  /** Issues tokens directly (tests that skip the redirect flow). */
  issueTokens(keepRefreshToken?: string) {
    const accessToken = `at-${randomUUID()}`;
    const refreshToken = keepRefreshToken ?? `rt-${randomUUID()}`;
    const ttl = this.options.accessTokenTtlSeconds ?? 3600;
    this.accessTokens.set(accessToken, { expiresAt: Date.now() + ttl * 1000 });
    this.refreshTokens.add(refreshToken);
    return { access_token: accessToken, refresh_token: refreshToken, token_type: 'bearer', expires_in: ttl };
  }

  /** Every access token stops working now (they expired). */
  expireAccessTokens(): void {
    for (const t of this.accessTokens.values()) t.expiresAt = 0;
  }

  /** The tenant revoked the app: every token, access and refresh, is dead. */
  revokeAll(): void {
    this.accessTokens.clear();
    this.refreshTokens.clear();
  }

  /** Checks the bearer token; sends the FSM's 401 and returns false when it is not valid. */
  authorized(req: FastifyRequest, reply: FastifyReply): boolean {
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const entry = token ? this.accessTokens.get(token) : undefined;
    if (entry && entry.expiresAt > Date.now()) return true;
    void reply.status(401).send(this.options.unauthorizedBody ?? { error: 'unauthorized' });
    return false;
  }

  // ---- Faults ----------------------------------------------------------------

  /** The next `times` API calls answer `status` with `body` (5xx outages, say). */
  failNext(times: number, status = 503, body: unknown = { message: 'Service temporarily unavailable' }): void {
    this.faults.push({ kind: 'status', status, body, remaining: times });
  }

  /** The next `times` API calls answer 429 with Retry-After. */
  rateLimitNext(times: number, retryAfterSeconds = 1): void {
    this.faults.push({ kind: 'rate_limit', retryAfterSeconds, remaining: times });
  }

  /** The next `times` writes are applied, then the connection is dropped before the answer. */
  loseResponseAfterWrite(times = 1): void {
    this.faults.push({ kind: 'lose_response', remaining: times });
  }

  /**
   * The next API call is held, unanswered, until `release()`: a request in
   * flight while the test does something else. Faults apply once released.
   */
  holdNext(): { arrived: Promise<void>; release: () => void } {
    let arrive = () => {};
    let release = () => {};
    const arrived = new Promise<void>((resolve) => (arrive = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.push({ arrive, released });
    return { arrived, release };
  }

  /** The next note POST is refused with this message, in the FSM's own refusal shape (each fake's note route). */
  rejectNextNote(message: string): void {
    this.noteRejections.push(message);
  }

  /** For note routes: the refusal queued by rejectNextNote, if any (used up). */
  protected nextNoteRejection(): string | undefined {
    return this.noteRejections.shift();
  }

  clearFaults(): void {
    this.noteRejections = [];
    this.faults = [];
    this.holds = [];
    this.delayMs = 0;
  }

  private take(kind: Fault['kind']): Fault | undefined {
    const fault = this.faults.find((f) => f.kind === kind && f.remaining > 0);
    if (fault) fault.remaining--;
    return fault;
  }

  /**
   * Registers an API route: auth checked, faults applied, then the handler.
   * Handlers of writes call `afterWrite(reply)` once the write is applied, so
   * a "lost response" fault can drop the connection after it.
   */
  api(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
  ): this {
    this.app.route({
      method,
      url: path,
      handler: async (req, reply) => {
        if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
        const hold = this.holds.shift();
        if (hold) {
          hold.arrive();
          await hold.released;
        }
        const status = this.take('status');
        if (status?.kind === 'status') return reply.status(status.status).send(status.body);
        const limited = this.take('rate_limit');
        if (limited?.kind === 'rate_limit') {
          return reply
            .status(429)
            .header('retry-after', String(limited.retryAfterSeconds))
            .send(this.options.rateLimitedBody ?? { message: 'Too Many Requests' });
        }
        if (!this.authorized(req, reply)) return reply;
        return handler(req, reply);
      },
    });
    return this;
  }

  /** For write handlers: true when the answer must be lost (the connection is destroyed). */
  loseThisResponse(reply: FastifyReply): boolean {
    if (!this.take('lose_response')) return false;
    reply.raw.destroy();
    return true;
  }

  async start(): Promise<string> {
    const address = await this.app.listen({ port: 0, host: '127.0.0.1' });
    this.url = address;
    return address;
  }

  async stop(): Promise<void> {
    await this.app.close();
  }
}

function basicAuth(req: FastifyRequest): [string | undefined, string | undefined] {
  const match = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
  if (!match) return [undefined, undefined];
  const [id, secret] = Buffer.from(match[1]!, 'base64').toString('utf8').split(':');
  return [id && decodeURIComponent(id), secret && decodeURIComponent(secret)];
}
