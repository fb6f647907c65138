/**
 * A fake ServiceM8 (fsm-apis.md §1) that checks itself against ServiceM8's
 * own OpenAPI (../shared/vendor/servicem8-openapi.json): every route it
 * serves must be an operation of the spec; every request it receives is
 * checked against that operation (path parameters, query, JSON body) and
 * refused with ServiceM8's 400 when it does not fit; every JSON answer is
 * checked against the spec's response schema. What does not fit lands in
 * `violations`, which the tests expect to stay empty.
 *
 * The spec declares no query parameters on its list operations; `$filter`
 * (on operations that say they support filtering) and `cursor` come from the
 * filtering and pagination docs, and are checked against those: the four
 * operators, at most 10 conditions, fields of the listed record's schema,
 * `cursor=-1` or a cursor this server issued for the same filter.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FakeFsm } from './fake-fsm';

const SPEC_FILE = path.resolve(__dirname, '../../../shared/vendor/servicem8-openapi.json');
export const SERVICEM8_API_PREFIX = '/api_1.0';

// ---- the spec ------------------------------------------------------------------

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface SpecParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Json;
}

interface SpecOperation {
  description?: string;
  parameters?: SpecParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Json }> };
  responses?: Record<string, { headers?: Record<string, { schema?: Json }>; content?: Record<string, { schema?: Json }> }>;
}

interface OpenApi {
  paths: Record<string, Record<string, SpecOperation>>;
  components: { schemas: Record<string, { properties?: Record<string, { readOnly?: boolean }> }> };
}

const FILTER_CONDITION = /^(\w+) (eq|ne|gt|lt) (?:'([^']*)'|(-?\d+(?:\.\d+)?))$/;

export interface Sm8FilterCondition {
  field: string;
  op: 'eq' | 'ne' | 'gt' | 'lt';
  value: string | number;
}

/** ServiceM8's `$filter` grammar (developer.servicem8.com/docs/filtering); throws on anything else. */
export function parseSm8Filter(filter: string | undefined): Sm8FilterCondition[] {
  if (!filter) return [];
  const parts = filter.split(' and ');
  if (parts.length > 10) throw new Error(`$filter has ${parts.length} conditions; at most 10 are allowed`);
  return parts.map((part) => {
    const m = FILTER_CONDITION.exec(part);
    if (!m) throw new Error(`$filter condition "${part}" is not "<field> eq|ne|gt|lt <'value' or number>"`);
    return { field: m[1]!, op: m[2] as Sm8FilterCondition['op'], value: m[3] ?? Number(m[4]) };
  });
}

const escapePointer = (segment: string) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));
const ajvErrors = (errors: ErrorObject[] | null | undefined) => {
  const all = (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
  return all.length > 3 ? `${all.slice(0, 3).join('; ')}; and ${all.length - 3} more` : all.join('; ');
};

/** ServiceM8's OpenAPI, loaded and compiled once per fake (once per suite). */
export class ServiceM8Spec {
  private readonly spec: OpenApi;
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(file = SPEC_FILE) {
    this.spec = JSON.parse(readFileSync(file, 'utf8')) as OpenApi;
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats(this.ajv);
    for (const f of ['int32', 'float']) this.ajv.addFormat(f, { type: 'number', validate: () => true });
    this.ajv.addSchema(this.spec as unknown as Json, 'sm8');
  }

  operation(method: string, specPath: string): SpecOperation | undefined {
    return this.spec.paths[specPath]?.[method.toLowerCase()];
  }

  /** Validates `value` against the schema at a JSON pointer into the spec. */
  private check(pointer: string[], value: unknown): string | null {
    const ref = `sm8#/${pointer.map(escapePointer).join('/')}`;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    return validate(value) ? null : ajvErrors(validate.errors);
  }

  /** The properties of the records a list operation returns (what `$filter` may name). */
  private listedFields(op: SpecOperation): Set<string> | null {
    const schema = op.responses?.['200']?.content?.['application/json']?.schema as { type?: string; items?: { $ref?: string } } | undefined;
    const name = schema?.type === 'array' ? schema.items?.$ref?.split('/').pop() : undefined;
    const props = name ? this.spec.components.schemas[name]?.properties : undefined;
    return props ? new Set(Object.keys(props)) : null;
  }

  private bodyProblems(specPath: string, method: string, op: SpecOperation, body: unknown, contentType: string): string[] {
    const content = op.requestBody?.content?.['application/json'];
    if (!content?.schema) return body === undefined ? [] : ['the operation takes no body'];
    if (body === undefined) return op.requestBody?.required ? ['a JSON body is required'] : [];
    if (!contentType.startsWith('application/json')) return [`content-type ${contentType} is not application/json`];
    const problems: string[] = [];
    const invalid = this.check(['paths', specPath, method, 'requestBody', 'content', 'application/json', 'schema'], body);
    if (invalid) problems.push(`body: ${invalid}`);
    // The schemas allow extra fields; ServiceM8 would drop them silently, so a misspelt field is a bug of ours.
    const name = String(content.schema.$ref ?? '').split('/').pop() ?? '';
    const props = this.spec.components.schemas[name]?.properties;
    if (props && body && typeof body === 'object') {
      for (const key of Object.keys(body)) {
        if (!(key in props)) problems.push(`body field "${key}" is not in ${name}`);
        else if (props[key]?.readOnly) problems.push(`body field "${key}" is read-only`);
      }
    }
    return problems;
  }

  checkRequest(req: { method: string; specPath: string; params: Record<string, string>; query: Record<string, string>; body: unknown; contentType: string }): string[] {
    const method = req.method.toLowerCase();
    const op = this.operation(method, req.specPath);
    if (!op) return [`${req.method} ${req.specPath} is not in the spec`];
    const problems: string[] = [];
    const declared = op.parameters ?? [];
    declared.forEach((p, i) => {
      const raw = p.in === 'path' ? req.params[p.name] : p.in === 'query' ? req.query[p.name] : undefined;
      if (p.in === 'header') return;
      if (raw === undefined) {
        if (p.required) problems.push(`${p.in} parameter ${p.name} is required`);
        return;
      }
      const type = (p.schema as { type?: string } | undefined)?.type;
      const value = type === 'integer' || type === 'number' ? Number(raw) : raw;
      const invalid = this.check(['paths', req.specPath, method, 'parameters', String(i), 'schema'], value);
      if (invalid) problems.push(`${p.in} parameter ${p.name}: ${invalid}`);
    });
    for (const [name, value] of Object.entries(req.query)) {
      if (declared.some((p) => p.in === 'query' && p.name === name)) continue;
      const fields = this.listedFields(op);
      if (name === '$filter' && fields && /supports result filtering/i.test(op.description ?? '')) {
        try {
          for (const c of parseSm8Filter(value)) if (!fields.has(c.field)) problems.push(`$filter field ${c.field} is not a field of the listed records`);
        } catch (err) {
          problems.push((err as Error).message);
        }
      } else if (name === 'cursor' && fields) {
        if (value !== '-1' && !/^[0-9a-f-]{36}$/i.test(value)) problems.push(`cursor "${value}" is neither -1 nor a cursor uuid`);
      } else {
        problems.push(`query parameter ${name} is neither in the spec nor in the filtering/pagination docs`);
      }
    }
    return [...problems, ...this.bodyProblems(req.specPath, method, op, req.body, req.contentType)];
  }

  checkResponse(method: string, specPath: string, status: number, body: unknown, headers: Record<string, unknown>): string[] {
    const m = method.toLowerCase();
    const response = this.operation(m, specPath)?.responses?.[String(status)];
    if (!response) return [];
    const problems: string[] = [];
    if (response.content?.['application/json']?.schema) {
      const invalid = this.check(['paths', specPath, m, 'responses', String(status), 'content', 'application/json', 'schema'], body);
      if (invalid) problems.push(`${status} body: ${invalid}`);
    }
    for (const name of Object.keys(response.headers ?? {})) {
      const value = headers[name.toLowerCase()];
      if (value === undefined) problems.push(`${status} lacks the ${name} header`);
      else {
        const invalid = this.check(['paths', specPath, m, 'responses', String(status), 'headers', name, 'schema'], value);
        if (invalid) problems.push(`${status} header ${name}: ${invalid}`);
      }
    }
    return problems;
  }
}

// ---- the fake server ----------------------------------------------------------------

export interface FakeSm8Job {
  uuid: string;
  active: 0 | 1;
  status: 'Quote' | 'Work Order' | 'Unsuccessful' | 'Completed';
  edit_date: string;
  date: string;
  job_description: string;
  job_address: string;
  company_uuid: string;
  generated_job_id: string;
  /** Absent until set (the spec's uuid format does not admit ""). */
  queue_assigned_staff_uuid?: string;
  completion_date?: string;
}

interface FakeSm8Record {
  uuid: string;
  active: 0 | 1;
  edit_date: string;
  [field: string]: unknown;
}

const NOT_FOUND = { errorCode: 404, message: 'Resource not found. The requested record does not exist or has been deleted.' };
const badRequest = (message: string) => ({ errorCode: 1000, message });

/** "YYYY-MM-DD HH:MM:SS", ServiceM8's timestamp format. */
const sm8Time = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

export class FakeServiceM8 extends FakeFsm {
  readonly violations: string[] = [];
  /** Records per list page (ServiceM8: up to 5,000). */
  pageSize = 5000;
  readonly jobs = new Map<string, FakeSm8Job>();
  readonly companies = new Map<string, FakeSm8Record>();
  readonly staff = new Map<string, FakeSm8Record>();
  readonly activities = new Map<string, FakeSm8Record>();
  readonly notes = new Map<string, FakeSm8Record>();
  /** The fake's clock: each change is one second after the last, so edit dates are distinct and ordered. */
  private clock = Date.UTC(2026, 0, 5, 9, 0, 0);
  private readonly cursors = new Map<string, { resource: string; filter: string; offset: number }>();
  private readonly specPaths = new Map<string, string>();
  private jobNumber = 1000;

  constructor(readonly spec = new ServiceM8Spec()) {
    super({
      name: 'servicem8',
      unauthorizedBody: { errorCode: 401, message: 'Authentication failed. Please check your API key or OAuth token.' },
      rateLimitedBody: { errorCode: 429, message: 'Number of allowed API requests per minute exceeded' },
    });
    this.oauthEndpoints({ authorize: '/oauth/authorize', token: '/oauth/access_token' });
    this.app.addHook('preHandler', (req, reply) => this.checkRequest(req, reply));
    this.app.addHook('onSend', async (req, reply, payload) => {
      this.checkResponse(req, reply, payload);
      return payload;
    });
    this.app.setNotFoundHandler((req, reply) => {
      this.violations.push(`${req.method} ${req.url}: no such route in the fake (and so, as far as we know, in ServiceM8)`);
      return reply.status(404).send(NOT_FOUND);
    });

    this.route('GET', '/job.json', this.list('job', () => this.jobs.values()));
    this.route('GET', '/job/{uuid}.json', this.one(this.jobs));
    this.route('GET', '/company.json', this.list('company', () => this.companies.values()));
    this.route('GET', '/company/{uuid}.json', this.one(this.companies));
    this.route('GET', '/staff.json', this.list('staff', () => this.staff.values()));
    this.route('GET', '/jobactivity.json', this.list('jobactivity', () => this.activities.values()));
    this.route('GET', '/note.json', this.list('note', () => this.notes.values()));
    this.route('POST', '/note.json', async (req, reply) => {
      const body = req.body as { uuid?: string; related_object: string; related_object_uuid: string; note: string };
      const rejection = this.nextNoteRejection();
      if (rejection !== undefined) return reply.status(400).send({ errorCode: 400, message: rejection });
      const now = this.tick();
      const uuid = body.uuid ?? randomUUID();
      this.notes.set(uuid, { ...body, uuid, active: 1, edit_date: now, create_date: now });
      if (this.loseThisResponse(reply)) return reply;
      return reply.header('x-record-uuid', uuid).send({ errorCode: 0, message: 'OK' });
    });
  }

  /** Registers an API route at a path the spec has (or fails at once). */
  private route(method: Method, specPath: string, handler: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>): void {
    if (!this.spec.operation(method, specPath)) throw new Error(`the fake serves ${method} ${specPath}, which ServiceM8's spec does not have`);
    const url = SERVICEM8_API_PREFIX + specPath.replace(/\{(\w+)\}/g, ':$1');
    this.specPaths.set(url, specPath);
    this.api(method, url, handler);
  }

  private specPathOf(req: FastifyRequest): string | undefined {
    return this.specPaths.get(req.routeOptions.url ?? '');
  }

  private async checkRequest(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const specPath = this.specPathOf(req);
    if (!specPath) return undefined;
    const problems = this.spec.checkRequest({
      method: req.method,
      specPath,
      params: req.params as Record<string, string>,
      query: req.query as Record<string, string>,
      body: req.body,
      contentType: req.headers['content-type'] ?? '',
    });
    if (problems.length === 0) return undefined;
    this.violations.push(...problems.map((p) => `${req.method} ${specPath}: ${p}`));
    return reply.status(400).send(badRequest(problems.join('; ')));
  }

  private checkResponse(req: FastifyRequest, reply: FastifyReply, payload: unknown): void {
    const specPath = this.specPathOf(req);
    if (!specPath || typeof payload !== 'string') return;
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      body = payload;
    }
    const problems = this.spec.checkResponse(req.method, specPath, reply.statusCode, body, reply.getHeaders());
    this.violations.push(...problems.map((p) => `response to ${req.method} ${specPath}: ${p}`));
  }

  /** A list with `$filter` and cursor pages: `x-next-cursor` until the last page. */
  private list(resource: string, rows: () => Iterable<FakeSm8Record | FakeSm8Job>) {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const q = req.query as Record<string, string>;
      const filter = q.$filter ?? '';
      let offset = 0;
      if (q.cursor === undefined) this.violations.push(`GET /${resource}.json without cursor (the pagination docs say: cursor=-1 first)`);
      else if (q.cursor !== '-1') {
        const cursor = this.cursors.get(q.cursor);
        if (!cursor || cursor.resource !== resource || cursor.filter !== filter) return reply.status(400).send(badRequest('Invalid cursor'));
        offset = cursor.offset;
      }
      const conditions = parseSm8Filter(filter);
      const matching = [...rows()].filter((r) => conditions.every((c) => matches(r as unknown as Json, c)));
      if (offset + this.pageSize < matching.length) {
        const next = randomUUID();
        this.cursors.set(next, { resource, filter, offset: offset + this.pageSize });
        reply.header('x-next-cursor', next);
      }
      return matching.slice(offset, offset + this.pageSize);
    };
  }

  /** One record; deleted records answer 404 ("does not exist or has been deleted"). */
  private one(table: Map<string, FakeSm8Record | FakeSm8Job>) {
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const row = table.get((req.params as { uuid: string }).uuid);
      return row && row.active === 1 ? row : reply.status(404).send(NOT_FOUND);
    };
  }

  // ---- test helpers ---------------------------------------------------------------

  /** Advances the clock one second and returns it as ServiceM8 writes it. */
  tick(): string {
    this.clock += 1000;
    return sm8Time(this.clock);
  }

  /** The clock as RFC 3339. */
  now(): string {
    return new Date(this.clock).toISOString();
  }

  addStaff(email: string): string {
    const uuid = randomUUID();
    const [first = 'Tech', last = 'Nician'] = email.split('@')[0]!.split('.');
    this.staff.set(uuid, { uuid, active: 1, edit_date: this.tick(), first, last, email });
    return uuid;
  }

  addCompany(name: string): string {
    const uuid = randomUUID();
    this.companies.set(uuid, { uuid, active: 1, edit_date: this.tick(), name });
    return uuid;
  }

  /** Books a staff member on a job (scheduled) or records their time (a check-in). */
  addActivity(jobUuid: string, staffUuid: string, start: string, kind: 'scheduled' | 'recorded' = 'scheduled'): string {
    const uuid = randomUUID();
    this.activities.set(uuid, {
      uuid,
      active: 1,
      edit_date: this.tick(),
      job_uuid: jobUuid,
      staff_uuid: staffUuid,
      start_date: start,
      end_date: start.replace(/\d\d:\d\d:\d\d$/, '17:00:00'),
      activity_was_scheduled: kind === 'scheduled' ? '1' : '0',
      activity_was_recorded: kind === 'recorded' ? '1' : '0',
    });
    return uuid;
  }

  /**
   * Seeds `n` Work Orders in one second (a bulk import), spread over a few
   * clients and staff, each booked with one staff member. Returns their uuids.
   */
  seedJobs(n: number): string[] {
    const staff = [...this.staff.keys()].length ? [...this.staff.keys()] : ['ann.lee', 'bo.chan', 'cy.diaz', 'di.evans', 'ed.fox'].map((s) => this.addStaff(`${s}@example.com`));
    const companies = Array.from({ length: 25 }, (_, i) => this.addCompany(`Client ${i + 1} Pty Ltd`));
    const editDate = this.tick();
    return Array.from({ length: n }, (_, i) => {
      const uuid = randomUUID();
      const number = ++this.jobNumber;
      this.jobs.set(uuid, {
        uuid,
        active: 1,
        status: 'Work Order',
        edit_date: editDate,
        date: '2026-02-01',
        job_description: `Service call ${number}\nCheck the unit and report.`,
        job_address: `${number} George St, Sydney NSW 2000`,
        company_uuid: companies[i % companies.length]!,
        generated_job_id: String(number),
      });
      this.addActivity(uuid, staff[i % staff.length]!, `2026-02-${String((i % 27) + 1).padStart(2, '0')} 08:30:00`);
      return uuid;
    });
  }

  changeJob(uuid: string, patch: Partial<FakeSm8Job>): void {
    const job = this.jobs.get(uuid);
    if (!job) throw new Error(`no job ${uuid}`);
    Object.assign(job, patch, { edit_date: this.tick() });
  }

  completeJob(uuid: string): void {
    this.changeJob(uuid, { status: 'Completed', completion_date: sm8Time(this.clock + 1000) });
  }

  /** Back to a Work Order: the job is to be done again. */
  reopenJob(uuid: string): void {
    this.changeJob(uuid, { status: 'Work Order', completion_date: undefined });
  }

  /** ServiceM8 deletes by flagging: the job stays in lists with active 0. */
  deleteJob(uuid: string): void {
    this.changeJob(uuid, { active: 0 });
  }

  /**
   * An object-webhook delivery as ServiceM8 posts it to a callback URL
   * (fsm-apis.md §1.5: `object`, `entry[].uuid/changed_fields/time`,
   * `resource_url`; no field values, no signature).
   */
  objectWebhook(object: string, uuids: string[], changedFields: string[]): { headers: Record<string, string>; rawBody: Buffer } {
    const time = this.tick();
    const payload = { object, entry: uuids.map((uuid) => ({ uuid, changed_fields: changedFields, time })), resource_url: `https://api.servicem8.com/api_1.0/${object.toLowerCase()}.json` };
    return { headers: { 'content-type': 'application/json' }, rawBody: Buffer.from(JSON.stringify(payload)) };
  }

  notesOn(jobUuid: string): FakeSm8Record[] {
    return [...this.notes.values()].filter((n) => n.related_object_uuid === jobUuid);
  }
}

function matches(record: Json, c: Sm8FilterCondition): boolean {
  const raw = record[c.field];
  const [a, b] = typeof c.value === 'number' ? [Number(raw), c.value] : [String(raw ?? ''), c.value];
  switch (c.op) {
    case 'eq':
      return a === b;
    case 'ne':
      return a !== b;
    case 'gt':
      return a > b;
    case 'lt':
      return a < b;
  }
}
