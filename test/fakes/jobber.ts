/**
 * A fake Jobber: the GraphQL endpoint at /api/graphql, OAuth2 at
 * /api/oauth/{authorize,token} with rotating refresh tokens and JWT access
 * tokens, signed webhooks. Every document is parsed and validated against
 * Jobber's own introspection (../shared/vendor, API version 2022-03-10) and
 * executed by graphql-js over in-memory jobs, so answers have the schema's
 * shape; root fields the fake does not implement get a GraphQL error.
 *
 * Shapes follow fsm-apis.md §3: Relay connections with offset cursors (as
 * graphql-ruby makes them), `extensions.cost` with a leaky-bucket
 * `throttleStatus` on every answer, THROTTLED as a GraphQL error on a 200.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type IntrospectionQuery,
  Kind,
  type SelectionSetNode,
  buildClientSchema,
  execute,
  getOperationAST,
  parse,
  validate,
} from 'graphql';
import { FakeFsm, type FakeFsmOptions } from './fake-fsm';
import { FakeRecords } from './fake-records';

export const JOBBER_SCHEMA_PATH = resolve(__dirname, '../../../shared/vendor/jobber-graphql-schema-2022-03-10.json');

/** Jobber's schema from its official introspection dump: build once per suite (it is 2.8 MB). */
export function loadJobberSchema(path = JOBBER_SCHEMA_PATH): GraphQLSchema {
  return buildClientSchema((JSON.parse(readFileSync(path, 'utf8')) as { data: IntrospectionQuery }).data);
}

/** graphql-js's verdict on a document: parse and validation errors, none when it is valid. */
export function documentErrors(schema: GraphQLSchema, query: string): string[] {
  try {
    return validate(schema, parse(query)).map((e) => e.message);
  } catch (err) {
    return [(err as Error).message];
  }
}

export interface FakeJobberVisit {
  startAt: string | null;
  isComplete: boolean;
  assignedEmails: string[];
}

export interface FakeJobberJob {
  id: string;
  jobNumber: number;
  title: string | null;
  instructions: string | null;
  jobStatus: string;
  createdAt: string;
  updatedAt: string;
  startAt: string | null;
  completedAt: string | null;
  client: { id: string; firstName: string; lastName: string; companyName: string | null };
  address: { street1: string; street2: string; city: string; province: string; postalCode: string; country: string };
  visits: FakeJobberVisit[];
  notes: { id: string; message: string; createdAt: string }[];
}

export const JOBBER_STAFF = ['alice@example.com', 'bob@example.com', 'carol@example.com'];

/** Jobber's EncodedIds are base64 global ids. */
const encodedId = (type: string, n: number | string) => Buffer.from(`gid://Jobber/${type}/${n}`).toString('base64');
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A Relay connection over a list, with graphql-ruby's offset cursors (base64 of the 1-based index). */
function connection<T>(items: T[], args: { first?: number | null; after?: string | null }) {
  const start = args.after ? Number(Buffer.from(args.after, 'base64').toString('utf8')) : 0;
  const slice = items.slice(start, start + (args.first ?? 100));
  const cursor = (i: number) => Buffer.from(String(start + i + 1)).toString('base64');
  return {
    nodes: slice,
    edges: slice.map((node, i) => ({ node, cursor: cursor(i) })),
    pageInfo: {
      hasNextPage: start + slice.length < items.length,
      hasPreviousPage: start > 0,
      startCursor: slice.length ? cursor(0) : null,
      endCursor: slice.length ? cursor(slice.length - 1) : null,
    },
    totalCount: items.length,
  };
}

/**
 * The requested cost, approximated as Jobber-like APIs compute it: every
 * object field costs 1, a connection multiplies what it selects by `first`.
 */
function requestedCost(document: DocumentNode, selectionSet: SelectionSetNode, variables: Record<string, unknown>): number {
  const fragments = new Map(document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])));
  const first = (field: FieldNode) => {
    const value = field.arguments?.find((a) => a.name.value === 'first')?.value;
    if (value?.kind === Kind.INT) return Number(value.value);
    if (value?.kind === Kind.VARIABLE) return Number(variables[value.name.value] ?? 1);
    return 1;
  };
  const cost = (set: SelectionSetNode): number =>
    set.selections.reduce((sum, s) => {
      if (s.kind === Kind.FIELD) return sum + (s.selectionSet ? 1 + first(s) * cost(s.selectionSet) : 0);
      if (s.kind === Kind.INLINE_FRAGMENT) return sum + cost(s.selectionSet);
      const fragment = fragments.get(s.name.value);
      return sum + (fragment ? cost(fragment.selectionSet) : 0);
    }, 0);
  return cost(selectionSet);
}

const IMPLEMENTED = new Set(['jobs', 'job', 'jobCreateNote', 'account']);

export interface FakeJobberOptions extends Partial<FakeFsmOptions> {
  schema: GraphQLSchema;
  /** The query-cost bucket (3P-DOC figures: 10,000 points, 500 a second). */
  queryBudget?: { maximumAvailable: number; restoreRate: number };
}

export class FakeJobber extends FakeFsm {
  readonly schema: GraphQLSchema;
  /** The jobs, and the clock that stamps them (Jobber's ISO8601DateTime has second resolution). */
  readonly records = new FakeRecords<FakeJobberJob>('jobber', (job) => job.id);
  readonly jobs = this.records.byId;
  private readonly budget: { maximumAvailable: number; restoreRate: number; currentlyAvailable: number; at: number };
  /** The last `extensions.cost` sent, for tests that check the arithmetic. */
  lastCost: { requestedQueryCost: number; actualQueryCost: number; throttleStatus: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number } } | null = null;
  private readonly signingKey = randomUUID();
  /** What the fake found not to match Jobber (invalid documents, a missing version header); tests expect none. */
  readonly violations: string[] = [];
  /** userErrors messages the next jobCreateNote calls answer with. */
  /**
   * The Jobber account the next grant is for (the user who approves belongs
   * to it): tests connect several accounts to the one app by changing it.
   * The jobs are shared; `account { id }` answers the token's account.
   */
  accountId = encodedId('Account', 1);
  private readonly accountOfToken = new Map<string, string>();

  constructor(options: FakeJobberOptions) {
    super({
      name: 'jobber',
      rotateRefreshTokens: true,
      // fsm-apis.md §3.6: "an invalid token gets HTTP 401 invalid_request".
      unauthorizedBody: { message: 'invalid_request' },
      ...options,
    });
    this.schema = options.schema;
    const { maximumAvailable, restoreRate } = options.queryBudget ?? { maximumAvailable: 10_000, restoreRate: 500 };
    this.budget = { maximumAvailable, restoreRate, currentlyAvailable: maximumAvailable, at: Date.now() };
    this.oauthEndpoints({ authorize: '/api/oauth/authorize', token: '/api/oauth/token' });
    this.api('POST', '/api/graphql', (req, reply) => this.graphql(req, reply));
  }

  // ---- OAuth: JWT access tokens ---------------------------------------------

  /**
   * Jobber's access token is a JWT whose `exp` is its expiry (the official
   * template decodes it), so the answer carries no `expires_in`. The JWT wraps
   * the base fake's opaque token, which stays the one checked and expired.
   */
  override issueTokens(keepRefreshToken?: string) {
    const { expires_in: ttl, ...issued } = super.issueTokens(keepRefreshToken);
    this.accountOfToken.set(issued.access_token, this.accountId);
    const body = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ exp: Math.floor(Date.now() / 1000) + ttl, jti: issued.access_token })}`;
    const jwt = `${body}.${createHmac('sha256', this.signingKey).update(body).digest('base64url')}`;
    return { ...issued, access_token: jwt } as ReturnType<FakeFsm['issueTokens']>;
  }

  override authorized(req: FastifyRequest, reply: FastifyReply): boolean {
    return super.authorized({ headers: { authorization: `Bearer ${this.innerToken(req)}` } } as FastifyRequest, reply);
  }

  /** The base fake's token inside a genuine JWT; '' for anything else. */
  private innerToken(req: FastifyRequest): string {
    const [header, payload, signature] = (/^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '').split('.');
    const genuine = signature === createHmac('sha256', this.signingKey).update(`${header}.${payload}`).digest('base64url');
    return genuine ? (JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as { jti: string }).jti : '';
  }

  // ---- Jobs --------------------------------------------------------------------

  seedJobs(n: number): string[] {
    return this.records.seed(n, (number, at) => ({
      id: encodedId('Job', number),
      jobNumber: number,
      title: `Boiler service ${number}`,
      instructions: `Annual service, job ${number}`,
      jobStatus: 'upcoming',
      createdAt: at,
      updatedAt: at,
      startAt: '2026-02-01T09:00:00Z',
      completedAt: null,
      client: { id: encodedId('Client', number), firstName: 'Pat', lastName: `Client${number}`, companyName: null },
      address: { street1: `${number} Oak Street`, street2: '', city: 'Leeds', province: 'West Yorkshire', postalCode: 'LS1 1AA', country: 'United Kingdom' },
      visits: [{ startAt: '2026-02-01T09:00:00Z', isComplete: false, assignedEmails: [JOBBER_STAFF[number % JOBBER_STAFF.length]!] }],
      notes: [],
    }));
  }

  changeJob(id: string, patch: Partial<Omit<FakeJobberJob, 'id' | 'updatedAt'>>): void {
    this.records.change(id, patch);
  }

  /** Closes the job (`jobClose`): every visit done, status archived. */
  completeJob(id: string): void {
    for (const v of this.records.get(id).visits) v.isComplete = true;
    this.records.change(id, { jobStatus: 'archived', completedAt: this.records.tick() });
  }

  /** Reopens a closed job: active again, its visits to be done again. */
  reopenJob(id: string): void {
    for (const v of this.records.get(id).visits) v.isComplete = false;
    this.records.change(id, { jobStatus: 'active', completedAt: null });
  }

  deleteJob(id: string): void {
    this.jobs.delete(id);
  }

  notesOf(id: string): string[] {
    return this.records.get(id).notes.map((n) => n.message);
  }

  // ---- Query cost -------------------------------------------------------------

  /** Leaves `available` points in the bucket (throttling tests). */
  drainQueryBudget(available = 0): void {
    Object.assign(this.budget, { currentlyAvailable: available, at: Date.now() });
  }

  override clearFaults(): void {
    super.clearFaults();
    this.drainQueryBudget(this.budget.maximumAvailable);
  }

  private spend(requested: number) {
    const b = this.budget;
    const now = Date.now();
    b.currentlyAvailable = Math.min(b.maximumAvailable, b.currentlyAvailable + ((now - b.at) / 1000) * b.restoreRate);
    b.at = now;
    const throttled = requested > b.currentlyAvailable;
    if (!throttled) b.currentlyAvailable -= requested;
    const throttleStatus = { maximumAvailable: b.maximumAvailable, currentlyAvailable: Math.floor(b.currentlyAvailable), restoreRate: b.restoreRate };
    this.lastCost = { requestedQueryCost: requested, actualQueryCost: throttled ? 0 : requested, throttleStatus };
    return { throttled, cost: this.lastCost };
  }

  // ---- GraphQL -------------------------------------------------------------------


  /** A GraphQL error answer, noted as a violation: a request Jobber would refuse. */
  private refuse(message: string, errors: unknown[] = [{ message }]) {
    this.violations.push(message);
    return { errors };
  }

  private async graphql(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    // fsm-apis.md §3.1: JSON only (form and multipart are rejected), and the version header on every call.
    if (!String(req.headers['content-type']).startsWith('application/json')) return this.refuse('not application/json');
    if (!req.headers['x-jobber-graphql-version']) this.violations.push('no X-JOBBER-GRAPHQL-VERSION header');
    const { query, variables = {}, operationName } = (req.body ?? {}) as { query?: string; variables?: Record<string, unknown>; operationName?: string };
    let document: DocumentNode;
    try {
      document = parse(query ?? '');
    } catch (err) {
      return this.refuse((err as Error).message);
    }
    const invalid = validate(this.schema, document);
    if (invalid.length) return this.refuse(invalid.map((e) => e.message).join('; '), invalid.map((e) => e.toJSON()));
    const operation = getOperationAST(document, operationName);
    if (!operation) return this.refuse('no operation to run');
    const unknown = operation.selectionSet.selections.filter((s) => s.kind !== Kind.FIELD || !IMPLEMENTED.has(s.name.value));
    if (unknown.length) {
      const names = unknown.map((s) => (s.kind === Kind.FIELD ? s.name.value : s.kind));
      return this.refuse(`The fake Jobber does not implement ${names.join(', ')}`);
    }
    const { throttled, cost } = this.spend(requestedCost(document, operation.selectionSet, variables));
    if (throttled) return { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }], extensions: { cost } };
    const account = this.accountOfToken.get(this.innerToken(req)) ?? this.accountId;
    const result = await execute({ schema: this.schema, document, rootValue: this.root(account), variableValues: variables, operationName });
    if (operation.operation === 'mutation' && this.loseThisResponse(reply)) return reply;
    return { ...result, extensions: { cost } };
  }

  /** Root resolvers; nested connection fields are functions graphql-js calls with their arguments. */
  private root(accountId: string) {
    return {
      account: () => ({ id: accountId }),
      jobs: (args: { first?: number; after?: string; sort?: { key: string; direction: string }[] }) => {
        const sort = args.sort?.[0];
        const all = [...this.jobs.values()];
        if (sort?.key === 'UPDATED_AT') {
          const sign = sort.direction === 'DESCENDING' ? -1 : 1;
          all.sort((a, b) => sign * (a.updatedAt.localeCompare(b.updatedAt) || a.jobNumber - b.jobNumber));
        }
        return connection(all.map((j) => this.present(j)), args);
      },
      job: ({ id }: { id: string }) => {
        const job = this.jobs.get(id);
        return job ? this.present(job) : null;
      },
      jobCreateNote: ({ jobId, input }: { jobId: string; input: { message?: string | null } }) => {
        const job = this.jobs.get(jobId);
        // UNVERIFIED: Jobber's answer for a missing job is not public; a GraphQL error names it.
        if (!job) throw Object.assign(new Error(`Job ${jobId} not found`), { extensions: { code: 'NOT_FOUND' } });
        const rejection = this.nextNoteRejection() ?? (input.message?.trim() ? undefined : "Message can't be blank");
        if (rejection !== undefined) return { job: null, jobNote: null, userErrors: [{ message: rejection, path: ['input', 'message'] }] };
        const note = { id: encodedId('JobNote', randomUUID()), message: input.message!, createdAt: this.records.tick() };
        job.notes.push(note);
        return { job: this.present(job), jobNote: note, userErrors: [] };
      },
    };
  }

  private present(job: FakeJobberJob) {
    const user = (email: string) => ({ id: encodedId('User', email), email: { raw: email, isValid: true } });
    return {
      ...job,
      client: { ...job.client, name: job.client.companyName ?? `${job.client.firstName} ${job.client.lastName}` },
      property: { id: encodedId('Property', job.jobNumber), address: { ...job.address, id: encodedId('PropertyAddress', job.jobNumber), street: job.address.street1 } },
      visits: (args: { first?: number; after?: string }) =>
        connection(
          job.visits.map((v, i) => ({
            id: encodedId('Visit', `${job.jobNumber}-${i}`),
            startAt: v.startAt,
            isComplete: v.isComplete,
            assignedUsers: (a: { first?: number; after?: string }) => connection(v.assignedEmails.map(user), a),
          })),
          args,
        ),
      notes: (args: { first?: number; after?: string }) => connection(job.notes, args),
    };
  }

  // ---- Webhooks ------------------------------------------------------------------

  /**
   * A delivery as Jobber sends it, about `accountId`: JSON body, Base64
   * HMAC-SHA256 of it under the client secret, stamped with the real time
   * (an app's receiver compares it with its own clock).
   */
  webhook(topic: string, itemId: string, secret = this.clientSecret, accountId = this.accountId, occurredAt = new Date().toISOString()) {
    const rawBody = Buffer.from(JSON.stringify({ data: { webHookEvent: { topic, appId: this.clientId, accountId, itemId, occurredAt } } }));
    return {
      headers: { 'content-type': 'application/json', 'x-jobber-hmac-sha256': createHmac('sha256', secret).update(rawBody).digest('base64') },
      rawBody,
    };
  }
}
