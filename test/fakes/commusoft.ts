/**
 * A fake Commusoft. There is no specification to check it against: the only
 * machine-readable one is third-party and generated (fsm-apis.md §4.7), and it
 * covers login (`POST /getToken` → plain-text token, `X-Auth-Token`), error
 * bodies `{message, code}`, `uuid` keys and soft deletes, but no jobs or
 * notes. So this fake speaks exactly the guesses in
 * connectors/commusoft/index.ts (COMMUSOFT_DEFAULTS), every one UNVERIFIED:
 * `GET /jobs?modifiedSince&page&pageSize` (a bare array, creation order),
 * `GET /jobs/{uuid}`, `GET|POST /jobs/{uuid}/notes` with `{note}`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CommusoftCredentials } from '../../connectors/commusoft';
import { FakeFsm, type FakeFsmOptions } from './fake-fsm';
import { FakeRecords } from './fake-records';

export const COMMUSOFT_BASE_PATH = '/api/v1';

export interface FakeCommusoftJob {
  uuid: string;
  jobNumber: number;
  title: string;
  description: string;
  status: string;
  customer: { uuid: string; firstName: string; lastName: string; companyName: string | null };
  address: { addressLine1: string; addressLine2: string; town: string; county: string; postcode: string; country: string };
  diaryEvents: { uuid: string; startDateTime: string; engineer: { uuid: string; email: string } }[];
  deleted: 0 | 1;
  createdAt: string;
  updatedAt: string;
  notes: { uuid: string; note: string; createdAt: string }[];
}

const ENGINEERS = ['dave@example.com', 'erin@example.com'];
/** The error body of the generated spec's `Error` schema. */
const error = (code: number, message: string) => ({ message, code });

export class FakeCommusoft extends FakeFsm {
  /** The jobs, and the clock that stamps them. */
  readonly records = new FakeRecords<FakeCommusoftJob>('commusoft', (job) => job.uuid);
  readonly jobs = this.records.byId;
  /** What the fake found not to match the guessed API (unknown routes, a missing token header); tests expect none. */
  readonly violations: string[] = [];
  /** The API user's login; revoking the grant changes the password (a reconnect enters the new one). */
  credentials: CommusoftCredentials = { clientId: 'commusoft-client', username: 'api@example.com', password: 'first-password', applicationId: 'taskhub' };
  /** Answer lists as `{[listEnvelope]: [...]}` instead of a bare array (the connector's `listKey`). */
  listEnvelope: string | null = null;

  constructor(options: Partial<FakeFsmOptions> = {}) {
    super({
      name: 'commusoft',
      unauthorizedBody: error(401, 'Authentication token missing or invalid'),
      rateLimitedBody: error(429, 'Too Many Requests'),
      ...options,
    });
    const base = COMMUSOFT_BASE_PATH;
    this.app.post(`${base}/getToken`, async (req, reply) => this.getToken(req, reply));
    this.api('GET', `${base}/jobs`, async (req, reply) => this.listJobs(req, reply));
    this.api('GET', `${base}/jobs/:uuid`, async (req, reply) => {
      const job = this.jobs.get((req.params as { uuid: string }).uuid);
      return job ? this.present(job) : reply.status(404).send(error(404, 'Job not found'));
    });
    this.api('GET', `${base}/jobs/:uuid/notes`, async (req, reply) => {
      const job = this.jobs.get((req.params as { uuid: string }).uuid);
      return job ? this.envelope(job.notes) : reply.status(404).send(error(404, 'Job not found'));
    });
    this.api('POST', `${base}/jobs/:uuid/notes`, async (req, reply) => this.createNote(req, reply));
    this.app.setNotFoundHandler(async (req, reply) => {
      this.violations.push(`${req.method} ${req.url}: no such route in the fake`);
      return reply.status(404).send(error(404, 'Not found'));
    });
  }

  // ---- Login: POST /getToken → plain text; X-Auth-Token ------------------------

  private async getToken(req: FastifyRequest, reply: FastifyReply) {
    const body = (req.body ?? {}) as Partial<CommusoftCredentials>;
    const fields = ['clientId', 'username', 'password', 'applicationId'] as const;
    const missing = fields.filter((f) => typeof body[f] !== 'string');
    if (missing.length) {
      this.violations.push(`POST /getToken without ${missing.join(', ')}`);
      return reply.status(400).send(error(400, `Missing ${missing.join(', ')}`));
    }
    if (fields.some((f) => body[f] !== this.credentials[f])) return reply.status(401).send(error(401, 'Invalid credentials'));
    return reply.type('text/plain').send(this.issueTokens().access_token);
  }

  /** Commusoft reads the token from X-Auth-Token; the base fake checks it as it would a bearer token. */
  override authorized(req: FastifyRequest, reply: FastifyReply): boolean {
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string') this.violations.push(`${req.method} ${req.url}: no X-Auth-Token header`);
    return super.authorized({ headers: { authorization: `Bearer ${token ?? ''}` } } as FastifyRequest, reply);
  }

  /** The grant is withdrawn: tokens die, and the login that made them no longer works. */
  override revokeAll(): void {
    super.revokeAll();
    this.credentials = { ...this.credentials, password: `password-${randomUUID()}` };
  }

  // ---- Jobs and notes -------------------------------------------------------------

  private async listJobs(req: FastifyRequest, reply: FastifyReply) {
    const q = req.query as Record<string, string | undefined>;
    const page = Number(q.page);
    const size = Number(q.pageSize);
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(size) || size < 1) {
      this.violations.push(`GET /jobs with page=${q.page} pageSize=${q.pageSize}`);
      return reply.status(400).send(error(400, 'page and pageSize must be positive integers'));
    }
    const since = q.modifiedSince ? Date.parse(q.modifiedSince) : -Infinity;
    const changed = [...this.jobs.values()].filter((j) => Date.parse(j.updatedAt) > since);
    return this.envelope(changed.slice((page - 1) * size, page * size).map((j) => this.present(j)));
  }

  private async createNote(req: FastifyRequest, reply: FastifyReply) {
    const job = this.jobs.get((req.params as { uuid: string }).uuid);
    if (!job) return reply.status(404).send(error(404, 'Job not found'));
    const text = (req.body as { note?: unknown } | null)?.note;
    const rejection = this.nextNoteRejection() ?? (typeof text === 'string' && text.trim() ? undefined : 'note is required');
    if (rejection !== undefined) return reply.status(400).send(error(400, rejection));
    const note = { uuid: randomUUID(), note: text as string, createdAt: this.records.tick() };
    job.notes.push(note);
    if (this.loseThisResponse(reply)) return reply;
    return reply.status(201).send(note);
  }

  private envelope(items: unknown[]) {
    return this.listEnvelope === null ? items : { [this.listEnvelope]: items };
  }

  /** A job as the API answers it: its notes are a resource of their own. */
  private present({ notes: _notes, ...job }: FakeCommusoftJob) {
    return job;
  }

  // ---- Controls for tests ------------------------------------------------------------

  seedJobs(n: number): string[] {
    return this.records.seed(n, (number, at) => ({
      uuid: randomUUID(),
      jobNumber: number,
      title: `Boiler service ${number}`,
      description: `Annual service and gas safety check, job ${number}`,
      status: 'open',
      customer: { uuid: randomUUID(), firstName: 'Sam', lastName: `Holloway${number}`, companyName: null },
      address: { addressLine1: `${number} Oak Street`, addressLine2: '', town: 'Bristol', county: 'Avon', postcode: 'BS1 4DJ', country: 'United Kingdom' },
      diaryEvents: [{ uuid: randomUUID(), startDateTime: '2026-02-01T09:00:00Z', engineer: { uuid: randomUUID(), email: ENGINEERS[number % ENGINEERS.length]! } }],
      deleted: 0,
      createdAt: at,
      updatedAt: at,
      notes: [],
    }));
  }

  changeJob(uuid: string, patch: Partial<Omit<FakeCommusoftJob, 'uuid' | 'updatedAt'>>): void {
    this.records.change(uuid, patch);
  }

  /** Zapier's "Job Closed" (fsm-apis.md §4.3) suggests "closed" is the completion. */
  completeJob(uuid: string): void {
    this.changeJob(uuid, { status: 'closed' });
  }

  reopenJob(uuid: string): void {
    this.changeJob(uuid, { status: 'open' });
  }

  /** Soft delete, as the generated spec's other resources: `deleted: 1`. */
  deleteJob(uuid: string): void {
    this.changeJob(uuid, { deleted: 1 });
  }

  notesOf(uuid: string): string[] {
    return this.records.get(uuid).notes.map((n) => n.note);
  }

  /** A delivery in our own UNVERIFIED scheme (connectors/commusoft/webhook.ts). */
  webhook(jobUuid: string, secret: string, event = 'job.closed') {
    return {
      headers: { 'content-type': 'application/json', 'x-commusoft-webhook-secret': secret },
      rawBody: Buffer.from(JSON.stringify({ id: randomUUID(), event, jobUuid })),
    };
  }
}
