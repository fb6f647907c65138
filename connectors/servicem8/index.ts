/**
 * ServiceM8 connector (fsm-apis.md §1). Jobs changed since a time via
 * `GET /job.json?$filter=edit_date gt '…'` and cursor pages; customer,
 * schedule and staff are separate resources, looked up per page in as few
 * requests as we can (ServiceM8 allows 180 a minute and 20,000 a day per
 * add-on per account); notes via `POST /note.json`.
 */
import pMap from 'p-map';
import { FsmError } from '../errors';
import type { ConnectionSettings, FsmConnector, FsmJob, JobPage, TokenSource } from '../types';
import { createServiceM8Api, sm8Filter } from './api';
import { type Sm8Company, type Sm8Job, type Sm8JobActivity, type Sm8Note, type Sm8Staff, mapJob, needsStaff, referencedCompanies, toSm8Time } from './mappers';
import { parseServiceM8Webhook, verifyServiceM8Webhook } from './webhook';

/** What we ask for: read jobs, clients, staff, schedule (job activities) and notes; add notes. `manage_jobs` is asked for now, though nothing here writes jobs yet, so that a later job update needs no reconnect. */
export const SERVICEM8_SCOPES = ['read_jobs', 'manage_jobs', 'read_customers', 'read_staff', 'read_schedule', 'read_job_notes', 'publish_job_notes'];

/**
 * Defaults for configuration. The OAuth URLs are the go.servicem8.com ones
 * working integrations use [3P-CODE]; the official api.json names
 * api.servicem8.com/oauth/* instead: both are configuration.
 */
export const SERVICEM8_DEFAULTS = {
  baseUrl: 'https://api.servicem8.com/api_1.0',
  authorizeUrl: 'https://go.servicem8.com/oauth/authorize',
  tokenUrl: 'https://go.servicem8.com/oauth/access_token',
  scopes: SERVICEM8_SCOPES,
} as const;

/**
 * Up to this many companies (or jobs' activities) are fetched one by one;
 * more, and the whole list is read in cursor pages of up to 5,000 instead.
 * ServiceM8's filters have no `or`/`in`, so there is nothing in between.
 */
const ONE_BY_ONE_MAX = 10;
const LOOKUP_CONCURRENCY = 4;

/** The listing's filter travels with its cursor, so a resumed listing is the same listing. */
interface PageToken {
  since: string | null;
  cursor: string;
}

function encodeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeToken(token: string): PageToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<PageToken>;
    if (typeof parsed.cursor === 'string' && (parsed.since === null || typeof parsed.since === 'string')) return { since: parsed.since, cursor: parsed.cursor };
  } catch {
    // fall through
  }
  throw new FsmError('payload_rejected', 'servicem8: not a page token of this connector', { provider: 'servicem8' });
}

export function createServiceM8Connector(): FsmConnector {
  const api = createServiceM8Api();

  async function companies(auth: TokenSource, s: ConnectionSettings, uuids: string[]): Promise<Map<string, Sm8Company>> {
    if (uuids.length === 0) return new Map();
    const found =
      uuids.length <= ONE_BY_ONE_MAX
        ? (await pMap(uuids, (uuid) => api.one<Sm8Company>(auth, s, 'company', uuid), { concurrency: LOOKUP_CONCURRENCY })).filter((c): c is Sm8Company => c !== null)
        : await api.all<Sm8Company>(auth, s, 'company');
    return new Map(found.map((c) => [c.uuid, c]));
  }

  async function activities(auth: TokenSource, s: ConnectionSettings, jobs: Sm8Job[]): Promise<Map<string, Sm8JobActivity[]>> {
    const found =
      jobs.length <= ONE_BY_ONE_MAX
        ? (
            await pMap(jobs, (j) => api.all<Sm8JobActivity>(auth, s, 'jobactivity', sm8Filter([['job_uuid', 'eq', j.uuid], ['active', 'eq', 1]])), {
              concurrency: LOOKUP_CONCURRENCY,
            })
          ).flat()
        : await api.all<Sm8JobActivity>(auth, s, 'jobactivity', sm8Filter([['active', 'eq', 1]]));
    const byJob = new Map<string, Sm8JobActivity[]>(jobs.map((j) => [j.uuid, []]));
    for (const a of found) byJob.get(a.job_uuid)?.push(a);
    return byJob;
  }

  /** Maps a page of jobs, with their lookups fetched once for the page. */
  async function enrich(auth: TokenSource, s: ConnectionSettings, jobs: Sm8Job[]): Promise<FsmJob[]> {
    if (jobs.length === 0) return [];
    const [companyMap, activitiesByJob] = await Promise.all([companies(auth, s, referencedCompanies(jobs)), activities(auth, s, jobs)]);
    // The staff list is short: one request beats one per staff member.
    const staff = needsStaff(jobs, activitiesByJob) ? new Map((await api.all<Sm8Staff>(auth, s, 'staff')).map((m) => [m.uuid, m])) : new Map<string, Sm8Staff>();
    return jobs.map((job) => mapJob(job, { companies: companyMap, activitiesByJob, staff }));
  }

  return {
    provider: 'servicem8',

    /**
     * ServiceM8 has no page size (pages hold up to 5,000 records), so
     * `pageSize` is ignored. Deleted jobs stay in the list with `active` 0.
     *
     * `since` is inclusive at ServiceM8's one-second resolution: there is no
     * `ge`, and `edit_date gt since` would miss a job edited later in the same
     * second as the one `since` came from. We ask for `gt since − 1 s`; the
     * import's upsert by job id makes the repeats harmless.
     */
    async listChangedJobs(auth, s, input): Promise<JobPage> {
      const { since, cursor } = input.pageToken ? decodeToken(input.pageToken) : { since: input.since, cursor: '-1' };
      const filter = sm8Filter(since ? [['edit_date', 'gt', toSm8Time(since, -1)]] : []);
      const page = await api.page<Sm8Job>(auth, s, 'job', filter, cursor);
      return {
        jobs: await enrich(auth, s, page.records),
        nextPageToken: page.nextCursor ? encodeToken({ since, cursor: page.nextCursor }) : null,
      };
    },

    /** Null when ServiceM8 answers 404, which it also does for a deleted job. */
    async getJob(auth, s, externalJobId) {
      const job = await api.one<Sm8Job>(auth, s, 'job', externalJobId);
      return job ? ((await enrich(auth, s, [job]))[0] ?? null) : null;
    },

    async postJobNote(auth, s, externalJobId, text) {
      return { noteId: await api.createJobNote(auth, s, externalJobId, text), text };
    },

    async findJobNotes(auth, s, externalJobId, marker) {
      const notes = await api.all<Sm8Note>(auth, s, 'note', sm8Filter([['related_object_uuid', 'eq', externalJobId]]));
      return notes.filter((n) => Number(n.active) === 1 && (n.note ?? '').includes(marker)).map((n) => ({ noteId: n.uuid, text: n.note ?? '' }));
    },

    verifyWebhook: verifyServiceM8Webhook,
    parseWebhook: parseServiceM8Webhook,
  };
}
