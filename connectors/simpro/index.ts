/**
 * Simpro connector (fsm-apis.md §2). Jobs changed since a time via
 * `GET /companies/{id}/jobs/?DateModified=gt(…)&orderby=-DateModified` in
 * numbered pages, with `columns=` (the default list is only ID, Description
 * and Total); site addresses and technician emails are separate resources,
 * looked up once per page; notes via `POST …/jobs/{jobID}/notes/`.
 * Everything is scoped to the build (baseUrl) and company (companyId, "0").
 */
import pMap from 'p-map';
import { FsmError } from '../errors';
import type { ConnectionSettings, FsmConnector, FsmJob, JobPage, TokenSource } from '../types';
import { SIMPRO_MAX_PAGE_SIZE, createSimproApi, hasNextPage } from './api';
import { JOB_COLUMNS, type SimproEmployee, type SimproJob, type SimproNote, type SimproSite, hasTechnicians, htmlToText, mapJob, referencedSites, textToHtml, toSimproTime } from './mappers';
import { SIMPRO_WEBHOOK_SIGNATURE, type SimproWebhookSignature, parseSimproWebhook, verifySimproWebhook } from './webhook';

/**
 * Defaults for configuration, per build: `acme` means acme.simprosuite.com;
 * a self-hosted build passes its own origin (`https://simpro.example.com`).
 * OAuth per the official simpro-restapi-php Provider; no scopes are sent.
 */
export function simproDefaults(build: string) {
  const origin = /^https?:\/\//.test(build) ? new URL(build).origin : `https://${build.includes('.') ? build : `${build}.simprosuite.com`}`;
  return {
    baseUrl: `${origin}/api/v1.0`,
    authorizeUrl: `${origin}/oauth2/login`,
    tokenUrl: `${origin}/oauth2/token`,
    companyId: '0',
  };
}

export interface SimproConnectorOptions {
  /** How deliveries are signed: unverified, see webhook.ts. */
  webhookSignature?: SimproWebhookSignature;
}

/** Up to this many sites are fetched one by one (Simpro allows 10 requests a second per build); more, and the site list is read. */
const ONE_BY_ONE_MAX = 10;
const LOOKUP_CONCURRENCY = 4;
const SITE_COLUMNS = 'ID,Name,Address';
const EMPLOYEE_COLUMNS = 'ID,Name,PrimaryContact';
const NOTE_COLUMNS = 'ID,Subject,Note';

/** A listing's filter and page size travel with its page number: page N means nothing under another filter or size. */
interface PageToken {
  since: string | null;
  page: number;
  pageSize: number;
}

function encodeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(token: string): PageToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<PageToken>;
    if ((t.since === null || typeof t.since === 'string') && Number.isInteger(t.page) && Number.isInteger(t.pageSize)) {
      return { since: t.since, page: t.page!, pageSize: t.pageSize! };
    }
  } catch {
    // fall through
  }
  throw new FsmError('payload_rejected', 'simpro: not a page token of this connector', { provider: 'simpro' });
}

/** A note's subject: the first line of its text. */
function subjectOf(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim())?.trim() ?? 'Note';
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

export function createSimproConnector(options: SimproConnectorOptions = {}): FsmConnector {
  const api = createSimproApi();
  const signature = options.webhookSignature ?? SIMPRO_WEBHOOK_SIGNATURE;

  async function sites(auth: TokenSource, s: ConnectionSettings, ids: number[]): Promise<Map<number, SimproSite>> {
    if (ids.length === 0) return new Map();
    const found =
      ids.length <= ONE_BY_ONE_MAX
        ? (await pMap(ids, (id) => api.one<SimproSite>(auth, s, `/sites/${id}`, { columns: SITE_COLUMNS }), { concurrency: LOOKUP_CONCURRENCY })).filter(
            (site): site is SimproSite => site !== null,
          )
        : await api.all<SimproSite>(auth, s, '/sites/', { columns: SITE_COLUMNS });
    return new Map(found.map((site) => [site.ID, site]));
  }

  async function enrich(auth: TokenSource, s: ConnectionSettings, jobs: SimproJob[]): Promise<FsmJob[]> {
    if (jobs.length === 0) return [];
    const [siteMap, employees] = await Promise.all([
      sites(auth, s, referencedSites(jobs)),
      // Employees are few: one list read beats one request per technician.
      hasTechnicians(jobs) ? api.all<SimproEmployee>(auth, s, '/employees/', { columns: EMPLOYEE_COLUMNS }) : Promise.resolve([]),
    ]);
    const lookups = { sites: siteMap, employees: new Map(employees.map((e) => [e.ID, e])) };
    return jobs.map((job) => mapJob(job, lookups));
  }

  return {
    provider: 'simpro',

    /**
     * Newest first (`orderby=-DateModified`), on purpose. Pages are offsets,
     * and jobs keep changing while we page:
     *  - Oldest first, a job we already read that changes again jumps to the
     *    end, every later job slides back one place, and the job that slides
     *    across the page boundary is never read — nor on the next sync, whose
     *    `since` is past it. Silent loss.
     *  - Newest first, a job that changes jumps to page 1 and later jobs slide
     *    forward: at worst one is read twice (the upsert absorbs it). The
     *    changed job itself is newer than everything page 1 held, so the next
     *    sync's `since` catches it — provided that `since` is the newest
     *    updatedAt seen in the listing (page 1's first job), never the clock.
     *  A job deleted mid-listing slides the rest back by one and can hide one
     *  job until it next changes; the `job.deleted` webhook and full re-syncs
     *  cover that. `since` and the page size are kept in the page token, so a
     *  resumed listing (after a crash) is the same query.
     *
     * `since` is inclusive at one-second resolution (`gt(since − 1 s)`), for
     * the same reason as ServiceM8: a strict `gt` can miss a job changed in
     * the same second as the one `since` came from.
     */
    async listChangedJobs(auth, s, input): Promise<JobPage> {
      const size = Math.max(1, Math.min(input.pageSize ?? SIMPRO_MAX_PAGE_SIZE, SIMPRO_MAX_PAGE_SIZE));
      const token = input.pageToken ? decodeToken(input.pageToken) : { since: input.since, page: 1, pageSize: size };
      const page = await api.page<SimproJob>(auth, s, '/jobs/', {
        columns: JOB_COLUMNS.join(','),
        orderby: '-DateModified',
        pageSize: token.pageSize,
        page: token.page,
        DateModified: token.since ? `gt(${toSimproTime(token.since, -1)})` : undefined,
      });
      return {
        jobs: await enrich(auth, s, page.records),
        nextPageToken: hasNextPage(page, token.page, token.pageSize) ? encodeToken({ ...token, page: token.page + 1 }) : null,
      };
    },

    /** Null when Simpro answers 404: the job does not exist (or was deleted). */
    async getJob(auth, s, externalJobId) {
      const job = await api.one<SimproJob>(auth, s, `/jobs/${encodeURIComponent(externalJobId)}`, { columns: JOB_COLUMNS.join(',') });
      return job ? ((await enrich(auth, s, [job]))[0] ?? null) : null;
    },

    async postJobNote(auth, s, externalJobId, text) {
      const note = await api.createJobNote(auth, s, externalJobId, subjectOf(text), textToHtml(text));
      return { noteId: String(note.ID), text };
    },

    /** Compared on the note as plain text: Simpro keeps notes as HTML. */
    async findJobNotes(auth, s, externalJobId, marker) {
      const notes = await api.all<SimproNote>(auth, s, `/jobs/${encodeURIComponent(externalJobId)}/notes/`, { columns: NOTE_COLUMNS });
      return notes
        .map((n) => ({ noteId: String(n.ID), text: htmlToText(n.Note ?? '') }))
        .filter((n) => n.text.includes(marker));
    },

    verifyWebhook: (request, secret) => verifySimproWebhook(request, secret, signature),
    parseWebhook: parseSimproWebhook,
  };
}
