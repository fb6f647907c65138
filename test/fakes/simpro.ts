/**
 * A fake Simpro build (fsm-apis.md §2). Simpro's Swagger is not in
 * ../shared/vendor (it is not published as a file we hold), so this fake
 * follows fsm-apis.md to the letter and checks each request against it:
 * company-scoped paths under /api/v1.0 with their trailing slashes,
 * `Accept: application/json`, list parameters (search, columns, pageSize ≤ 250,
 * page, orderby, limit) and `Field=op(value)` filters on fields the resource
 * has, columns the resource has, and note bodies of `{Subject, Note,
 * FollowUpDate, Visibility, AssignTo}`. Lists answer only ID/Description/Total
 * (jobs) or ID/Name unless `columns=` asks for more, with `Result-Total`,
 * `Result-Pages` and `Result-Count`. What does not fit lands in `violations`.
 * Times are written with the build's offset (+10:00), as Simpro does.
 */
import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FakeFsm } from './fake-fsm';

export const SIMPRO_API_PREFIX = '/api/v1.0';

/** The error envelope of fsm-apis.md §2.6 ([3P-DOC]); also used for 401/429, whose bodies are not documented. */
export function simproError(url: string, message: string, path: string | null = null) {
  return { status: 'error', url, header: {}, data: { errors: [{ path, message, value: null }] } };
}

type Row = Record<string, unknown> & { ID: number };

interface Resource {
  /** Columns a record has (what `columns=`, `orderby` and filters may name). */
  fields: Set<string>;
  /** What a list answers without `columns=`. */
  listColumns: string[];
}

const JOB_FIELDS = [
  'ID', 'Type', 'Name', 'Description', 'Notes', 'OrderNo', 'Customer', 'CustomerContact', 'Site', 'SiteContact', 'DateIssued', 'DueDate', 'DueTime',
  'CompletedDate', 'DateModified', 'Technicians', 'Salesperson', 'ProjectManager', 'Stage', 'Status', 'Tags', 'CustomFields', 'Totals', 'Total',
];
const RESOURCES: Record<'jobs' | 'sites' | 'employees' | 'notes', Resource> = {
  jobs: { fields: new Set(JOB_FIELDS), listColumns: ['ID', 'Description', 'Total'] },
  sites: { fields: new Set(['ID', 'Name', 'Address', 'BillingAddress', 'Customers', 'DateModified']), listColumns: ['ID', 'Name'] },
  employees: { fields: new Set(['ID', 'Name', 'Position', 'Address', 'PrimaryContact', 'DateModified', 'Archived']), listColumns: ['ID', 'Name'] },
  notes: { fields: new Set(['ID', 'Subject', 'Note', 'DateCreated', 'FollowUpDate', 'Visibility', 'Attachments', 'AssignTo', 'SubmittedBy', 'Reference']), listColumns: ['ID', 'Subject'] },
};
const LIST_PARAMS = new Set(['search', 'columns', 'pageSize', 'page', 'orderby', 'limit']);
const NOTE_FIELDS = new Set(['Subject', 'Note', 'FollowUpDate', 'Visibility', 'AssignTo']);
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
const FILTER = /^(?:(gt|lt|ge|le|ne)\((.*)\)|(null)|(.*))$/;

/** "2026-01-05T19:00:01+10:00": the build's local time with its offset. */
const simproTime = (ms: number) => `${new Date(ms + 10 * 3600_000).toISOString().slice(0, 19)}+10:00`;

function compare(a: unknown, b: unknown, field: string): number {
  if (field.startsWith('Date') && typeof a === 'string' && typeof b === 'string') return Date.parse(a) - Date.parse(b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a ?? '').localeCompare(String(b ?? ''));
}

function matchesFilter(row: Row, field: string, expr: string): boolean {
  const [, op, arg, isNull, plain] = FILTER.exec(expr)!;
  const value = row[field];
  if (isNull) return value === null || value === undefined;
  if (op === 'ne' && arg === 'null') return value !== null && value !== undefined;
  if (!op) return String(value) === plain;
  const c = compare(value, typeof value === 'number' ? Number(arg) : arg, field);
  return { gt: c > 0, lt: c < 0, ge: c >= 0, le: c <= 0, ne: c !== 0 }[op as 'gt']!;
}

export class FakeSimpro extends FakeFsm {
  readonly violations: string[] = [];
  readonly companyIds = new Set(['0']);
  readonly jobs = new Map<number, Row>();
  readonly sites = new Map<number, Row>();
  readonly employees = new Map<number, Row>();
  readonly notes = new Map<number, Row[]>();
  private clock = Date.UTC(2026, 0, 5, 9, 0, 0);
  private nextId = 300_000;

  constructor() {
    super({
      name: 'simpro',
      unauthorizedBody: simproError('', 'Invalid or expired access token.'),
      rateLimitedBody: simproError('', 'Too many requests.'),
    });
    this.oauthEndpoints({ authorize: '/oauth2/login', token: '/oauth2/token' });
    this.app.addHook('preHandler', (req, reply) => this.checkHeaders(req, reply));
    this.app.setNotFoundHandler((req, reply) => {
      this.violations.push(`${req.method} ${req.url}: no such route (fsm-apis.md §2 paths, trailing slashes included)`);
      return reply.status(404).send(simproError(req.url, 'Invalid route.'));
    });

    const company = `${SIMPRO_API_PREFIX}/companies/:companyID`;
    this.api('GET', `${company}/jobs/`, this.list('jobs', () => [...this.jobs.values()]));
    this.api('GET', `${company}/jobs/:jobID`, this.one('jobs', (p) => this.jobs.get(Number(p.jobID))));
    this.api('GET', `${company}/sites/`, this.list('sites', () => [...this.sites.values()]));
    this.api('GET', `${company}/sites/:siteID`, this.one('sites', (p) => this.sites.get(Number(p.siteID))));
    this.api('GET', `${company}/employees/`, this.list('employees', () => [...this.employees.values()]));
    this.api('GET', `${company}/employees/:employeeID`, this.one('employees', (p) => this.employees.get(Number(p.employeeID))));
    this.api('GET', `${company}/jobs/:jobID/notes/`, this.list('notes', (p) => this.notes.get(Number(p.jobID)) ?? []));
    this.api('POST', `${company}/jobs/:jobID/notes/`, (req, reply) => this.createNote(req, reply));
  }

  private async checkHeaders(req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (!req.url.startsWith(SIMPRO_API_PREFIX)) return undefined;
    const problems: string[] = [];
    if (!(req.headers.accept ?? '').includes('application/json')) problems.push('Accept is not application/json');
    if (req.method !== 'GET' && !(req.headers['content-type'] ?? '').startsWith('application/json')) problems.push('Content-Type is not application/json');
    const companyID = (req.params as { companyID?: string }).companyID;
    if (companyID !== undefined && !this.companyIds.has(companyID)) {
      return reply.status(404).send(simproError(req.url, `Company ${companyID} not found.`));
    }
    return problems.length ? this.refuse(req, reply, 400, problems) : undefined;
  }

  private refuse(req: FastifyRequest, reply: FastifyReply, status: number, problems: string[]): FastifyReply {
    this.violations.push(...problems.map((p) => `${req.method} ${req.routeOptions.url}: ${p}`));
    return reply.status(status).send(simproError(req.url, problems.join('; ')));
  }

  /** `columns=` names of the resource, else the problem. */
  private columns(resource: Resource, value: string | undefined, problems: string[]): string[] | null {
    if (value === undefined) return null;
    const columns = value.split(',');
    for (const c of columns) if (!resource.fields.has(c)) problems.push(`column ${c} does not exist`);
    return columns;
  }

  private queryProblems(resource: Resource, q: Record<string, string>, list: boolean): string[] {
    const problems: string[] = [];
    for (const [name, value] of Object.entries(q)) {
      if (name === 'columns') continue;
      if (!list) problems.push(`query parameter ${name} on a single record`);
      else if (name === 'pageSize' || name === 'page' || name === 'limit') {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1 || (name === 'pageSize' && n > 250)) problems.push(`${name}=${value} is not an integer in range`);
      } else if (name === 'orderby') {
        for (const f of value.split(',')) if (!resource.fields.has(f.replace(/^-/, ''))) problems.push(`orderby ${f}: no such column`);
      } else if (name === 'search') {
        if (value !== 'all' && value !== 'any') problems.push(`search=${value} is not all|any`);
      } else if (!LIST_PARAMS.has(name)) {
        if (!resource.fields.has(name)) problems.push(`filter on ${name}: no such column`);
        const arg = FILTER.exec(value)?.[2];
        if (name.startsWith('Date') && arg !== undefined && arg !== 'null' && !RFC3339.test(arg)) problems.push(`${name}=${value}: not an RFC 3339 date-time`);
      }
    }
    return problems;
  }

  /** A list with filters, orderby and numbered pages; totals in the Result-* headers. */
  private list(name: keyof typeof RESOURCES, rows: (params: Record<string, string>) => Row[]) {
    const resource = RESOURCES[name];
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const q = req.query as Record<string, string>;
      const problems = this.queryProblems(resource, q, true);
      const columns = this.columns(resource, q.columns, problems) ?? resource.listColumns;
      if (problems.length) return this.refuse(req, reply, 400, problems);
      const filters = Object.entries(q).filter(([k]) => !LIST_PARAMS.has(k));
      const order = (q.orderby ? q.orderby.split(',') : []).map((f) => ({ field: f.replace(/^-/, ''), sign: f.startsWith('-') ? -1 : 1 }));
      const matching = rows(req.params as Record<string, string>)
        .filter((r) => filters.every(([field, expr]) => matchesFilter(r, field, expr)))
        .sort((a, b) => order.reduce((acc, o) => acc || o.sign * compare(a[o.field], b[o.field], o.field), 0) || a.ID - b.ID);
      const pageSize = Number(q.pageSize ?? 30);
      const page = Number(q.page ?? 1);
      const slice = matching.slice((page - 1) * pageSize, page * pageSize).map((r) => project(r, columns));
      return reply
        .header('result-total', String(matching.length))
        .header('result-pages', String(Math.max(1, Math.ceil(matching.length / pageSize))))
        .header('result-count', String(slice.length))
        .send(slice);
    };
  }

  private one(name: keyof typeof RESOURCES, find: (params: Record<string, string>) => Row | undefined) {
    const resource = RESOURCES[name];
    return async (req: FastifyRequest, reply: FastifyReply) => {
      const q = req.query as Record<string, string>;
      const problems = this.queryProblems(resource, q, false);
      const columns = this.columns(resource, q.columns, problems);
      if (problems.length) return this.refuse(req, reply, 400, problems);
      const row = find(req.params as Record<string, string>);
      if (!row) return reply.status(404).send(simproError(req.url, `${name.slice(0, -1)} not found.`));
      return columns ? project(row, columns) : row;
    };
  }

  private async createNote(req: FastifyRequest, reply: FastifyReply) {
    const jobId = Number((req.params as { jobID: string }).jobID);
    if (!this.jobs.has(jobId)) return reply.status(404).send(simproError(req.url, 'job not found.'));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const problems = Object.keys(body).filter((k) => !NOTE_FIELDS.has(k)).map((k) => `${k} is not a job note field`);
    for (const k of ['Subject', 'Note']) if (body[k] !== undefined && body[k] !== null && typeof body[k] !== 'string') problems.push(`${k} must be a string or null`);
    if (problems.length) return this.refuse(req, reply, 422, problems);
    const rejection = this.nextNoteRejection();
    if (rejection !== undefined) return reply.status(422).send(simproError(req.url, rejection, 'Note'));
    const note: Row = {
      ID: ++this.nextId,
      Subject: body.Subject ?? null,
      Note: body.Note ?? null,
      DateCreated: simproTime(this.tickMs()),
      FollowUpDate: body.FollowUpDate ?? null,
      Visibility: { Customer: false, Admin: true },
      Attachments: [],
      AssignTo: null,
      SubmittedBy: { ID: 1, Name: 'Task Hub', Type: 'employee', TypeId: 1 },
      Reference: { Type: 'Job', Number: String(jobId), Text: `Job ${jobId}` },
    };
    this.notes.set(jobId, [...(this.notes.get(jobId) ?? []), note]);
    if (this.loseThisResponse(reply)) return reply;
    return reply.status(201).send(note);
  }

  // ---- test helpers ---------------------------------------------------------------

  private tickMs(): number {
    this.clock += 1000;
    return this.clock;
  }

  /** The clock as RFC 3339 (UTC). */
  now(): string {
    return new Date(this.clock).toISOString();
  }

  /** Advances the clock one second: later changes are after the returned time. */
  tick(): string {
    return new Date(this.tickMs()).toISOString();
  }

  addEmployee(name: string, email: string): number {
    const ID = ++this.nextId;
    this.employees.set(ID, { ID, Name: name, Position: 'Technician', PrimaryContact: { Email: email, WorkPhone: '', CellPhone: '' }, Archived: false, DateModified: simproTime(this.clock) });
    return ID;
  }

  addSite(address: string, city: string): number {
    const ID = ++this.nextId;
    this.sites.set(ID, { ID, Name: address, Address: { Address: address, City: city, State: 'NSW', PostalCode: '2000', Country: 'Australia' }, DateModified: simproTime(this.clock) });
    return ID;
  }

  /**
   * Seeds `n` Pending jobs in one second (a bulk import) over 25 customers
   * (companies and individuals), 40 sites and 5 employees. Returns job ids.
   */
  seedJobs(n: number): number[] {
    const employees = this.employees.size
      ? [...this.employees.values()]
      : ['Ann Lee', 'Bo Chan', 'Cy Diaz', 'Di Evans', 'Ed Fox'].map((name) => this.employees.get(this.addEmployee(name, `${name.toLowerCase().replace(' ', '.')}@example.com`))!);
    const sites = Array.from({ length: 40 }, (_, i) => this.sites.get(this.addSite(`${i + 1} Pitt St`, 'Sydney'))!);
    const customers = Array.from({ length: 25 }, (_, i) =>
      i % 5 === 0 ? { ID: 5000 + i, CompanyName: '', GivenName: 'Pat', FamilyName: `Nguyen ${i}` } : { ID: 5000 + i, CompanyName: `Customer ${i} Pty Ltd`, GivenName: '', FamilyName: '' },
    );
    const modified = simproTime(this.tickMs());
    return Array.from({ length: n }, (_, i) => {
      const ID = ++this.nextId;
      const site = sites[i % sites.length]!;
      const tech = employees[i % employees.length]!;
      this.jobs.set(ID, {
        ID,
        Type: 'Service',
        Name: `Service call ${ID}`,
        Description: `<p>Check the unit &amp; <b>report</b>.</p><p>Gate code 1234</p>`,
        Customer: customers[i % customers.length],
        Site: { ID: site.ID, Name: site.Name },
        DateIssued: '2026-01-05',
        DueDate: `2026-02-${String((i % 27) + 1).padStart(2, '0')}`,
        CompletedDate: null,
        Stage: 'Pending',
        Technicians: [{ ID: tech.ID, Name: tech.Name, Type: 'employee', TypeId: tech.ID }],
        Total: { ExTax: 0, Tax: 0, IncTax: 0 },
        DateModified: modified,
      });
      return ID;
    });
  }

  /**
   * A webhook delivery: the payload of fsm-apis.md §2.5 ([3P-DOC]), signed
   * the way our connector assumes (HMAC-SHA256 of the body under the
   * subscription Secret, hex, in X-Simpro-Signature) — an assumption, not
   * a documented fact.
   */
  webhook(event: string, jobId: number, secret: string): { headers: Record<string, string>; rawBody: Buffer } {
    const [name = '', ...action] = event.split('.');
    const payload = {
      ID: event,
      build: 'acme',
      name: name.charAt(0).toUpperCase() + name.slice(1),
      action: action.join('.'),
      reference: { companyID: 0, jobID: jobId },
      date_triggered: simproTime(this.tickMs()),
      description: `${event} on job ${jobId}`,
    };
    const rawBody = Buffer.from(JSON.stringify(payload));
    return { headers: { 'content-type': 'application/json', 'x-simpro-signature': createHmac('sha256', secret).update(rawBody).digest('hex') }, rawBody };
  }

  changeJob(id: number, patch: Record<string, unknown>): void {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`no job ${id}`);
    Object.assign(job, patch, { DateModified: simproTime(this.tickMs()) });
  }

  completeJob(id: number): void {
    this.changeJob(id, { Stage: 'Complete', CompletedDate: simproTime(this.clock + 1000).slice(0, 10) });
  }

  /** Back to Pending: the job is to be done again. */
  reopenJob(id: number): void {
    this.changeJob(id, { Stage: 'Pending', CompletedDate: null });
  }

  /** Simpro removes a deleted job: it leaves the lists and answers 404. */
  deleteJob(id: number): void {
    this.jobs.delete(id);
  }
}

function project(row: Row, columns: string[]): Row {
  return Object.fromEntries(columns.filter((c) => c in row).map((c) => [c, row[c]])) as Row;
}
