/**
 * Jobber: GraphQL only (fsm-apis.md §3), OAuth2 authorization code with
 * rotating refresh tokens and JWT access tokens (connectors/oauth.ts reads
 * `exp`), the `X-JOBBER-GRAPHQL-VERSION` header on every call.
 */
import { FsmError } from '../errors';
import type { OAuthSettings } from '../oauth';
import type { FsmConnector, JobNote } from '../types';
import { createJobberApi } from './api';
import { type JobberJobNode, type JobberNoteNode, mapJobberJob, mapJobberNote } from './mappers';
import { ACCOUNT, CHANGED_JOBS, CREATE_JOB_NOTE, JOB, JOB_NOTES } from './queries';
import { parseJobberWebhook, verifyJobberWebhook } from './webhook';

export const JOBBER_DEFAULTS = {
  /** ConnectionSettings.baseUrl: the GraphQL endpoint itself (fsm-apis.md §3.1). */
  baseUrl: 'https://api.getjobber.com/api/graphql',
  /** fsm-apis.md §3.2: the official template's oauth2 `site` plus the gem's default paths. */
  authorizeUrl: 'https://api.getjobber.com/api/oauth/authorize',
  tokenUrl: 'https://api.getjobber.com/api/oauth/token',
  /**
   * Pinned: breaking changes ship only in new versions. Third-party code pins
   * 2025-01-20 and records `jobCreateNote` there; the latest version is not
   * known (fsm-apis.md §3.1). Versions stay reachable for 18 months, after
   * which Jobber auto-upgrades the request to its oldest supported version.
   */
  graphqlVersion: '2025-01-20',
  /** Jobs per page; `Query.jobs` is documented as "100 recently updated jobs", so 100 is the ceiling. */
  pageSize: 50,
  /** Visits read per job (assignees, schedule) and users per visit: each multiplies the query cost. */
  visitsPerJob: 5,
  usersPerVisit: 5,
  notesPageSize: 50,
} as const;

export interface JobberOptions {
  graphqlVersion?: string;
  pageSize?: number;
  visitsPerJob?: number;
  usersPerVisit?: number;
  notesPageSize?: number;
  timeoutMs?: number;
}

/** The OAuth settings for connectors/oauth.ts; the URLs are configuration so tests and staging point at a fake. */
export function jobberOAuthSettings(
  client: { clientId: string; clientSecret: string },
  urls: { authorizeUrl: string; tokenUrl: string } = JOBBER_DEFAULTS,
): OAuthSettings {
  return { provider: 'jobber', ...client, authorizeUrl: urls.authorizeUrl, tokenUrl: urls.tokenUrl };
}

interface Connection<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const MAX_PAGE_SIZE = 100;

export function createJobberConnector(options: JobberOptions = {}): FsmConnector {
  const o = { ...JOBBER_DEFAULTS, ...options };
  const graphql = createJobberApi({ graphqlVersion: o.graphqlVersion, timeoutMs: o.timeoutMs });
  const nested = { visits: o.visitsPerJob, users: o.usersPerVisit };

  return {
    provider: 'jobber',

    /**
     * Jobber cannot filter jobs by `updatedAt` (fsm-apis.md §3.3), but can sort
     * by it. We page newest-change first and stop at the first job older than
     * `since`: an incremental sync reads only what changed, not the account.
     *
     * Jobs changed while a listing runs jump to the front, behind the pages
     * already read: this pass misses them, and they are exactly the jobs whose
     * updatedAt is newer than anything it returned. So the caller's next
     * `since` must be the newest updatedAt this listing returned (the first
     * job of its first page), never the wall clock at the end, and it is
     * committed only once the listing finishes; page tokens and `since` are
     * saved together, so a crash resumes the same listing. If Jobber's cursors
     * are offsets (graphql-ruby's default), the jump moves the jobs before it
     * one place down: a page boundary can repeat a job (upserts are
     * idempotent) but not skip one. Only a job destroyed mid-listing moves the
     * rest up and can hide one job from this pass; the JOB_UPDATE webhook sent
     * when that job changed, or a periodic full listing (since null), covers it.
     *
     * The boundary is inclusive (updatedAt >= since), unlike the template's
     * `<=` stop: timestamps have second resolution, and a job changed in the
     * same second as the previous sync's newest, after that sync read it, has
     * updatedAt == since. Exclusive would lose it; inclusive re-reads one or
     * two unchanged jobs per sync.
     */
    async listChangedJobs(auth, settings, { since, pageToken, pageSize }) {
      const first = Math.min(Math.max(1, pageSize ?? o.pageSize), MAX_PAGE_SIZE);
      const { jobs } = await graphql<{ jobs: Connection<JobberJobNode> }>(auth, settings, CHANGED_JOBS, { first, after: pageToken, ...nested });
      const sinceMs = since === null ? -Infinity : Date.parse(since);
      const changed = jobs.nodes.filter((job) => Date.parse(job.updatedAt) >= sinceMs);
      const reachedSince = changed.length < jobs.nodes.length;
      const { hasNextPage, endCursor } = jobs.pageInfo;
      return { jobs: changed.map(mapJobberJob), nextPageToken: !reachedSince && hasNextPage ? endCursor : null };
    },

    /** Null when the job is gone: `job(id:)` answers null for a destroyed job. */
    async getJob(auth, settings, externalJobId) {
      try {
        const { job } = await graphql<{ job: JobberJobNode | null }>(auth, settings, JOB, { id: externalJobId, ...nested });
        return job ? mapJobberJob(job) : null;
      } catch (err) {
        if (err instanceof FsmError && err.kind === 'not_found') return null;
        throw err;
      }
    },

    async postJobNote(auth, settings, externalJobId, text) {
      const { jobCreateNote } = await graphql<{
        jobCreateNote: { jobNote: JobberNoteNode | null; userErrors: { message: string; path: string[] }[] };
      }>(auth, settings, CREATE_JOB_NOTE, { jobId: externalJobId, input: { message: text } });
      // Validation failures come back in userErrors on a 200 (fsm-apis.md §3.4): retrying sends the same.
      if (jobCreateNote.userErrors.length) {
        const messages = jobCreateNote.userErrors.map((e) => (e.path.length ? `${e.path.join('.')}: ${e.message}` : e.message));
        throw new FsmError('payload_rejected', `jobber: ${messages.join('; ')}`, { provider: 'jobber' });
      }
      if (!jobCreateNote.jobNote) throw new FsmError('transient', 'jobber: jobCreateNote returned neither a note nor userErrors', { provider: 'jobber' });
      return mapJobberNote(jobCreateNote.jobNote);
    },

    async findJobNotes(auth, settings, externalJobId, marker) {
      const found: JobNote[] = [];
      let after: string | null = null;
      do {
        const { job }: { job: { notes: Connection<JobberNoteNode> } | null } = await graphql(auth, settings, JOB_NOTES, {
          id: externalJobId,
          first: o.notesPageSize,
          after,
        });
        if (!job) throw new FsmError('not_found', `jobber: job ${externalJobId} not found`, { provider: 'jobber' });
        found.push(...job.notes.nodes.filter((n) => n.message.includes(marker)).map(mapJobberNote));
        after = job.notes.pageInfo.hasNextPage ? job.notes.pageInfo.endCursor : null;
      } while (after);
      return found;
    },

    /** Jobber posts every account's webhooks to the app's one URL, naming the account: this is how they are routed. */
    async accountId(auth, settings) {
      const { account } = await graphql<{ account: { id: string } | null }>(auth, settings, ACCOUNT, {});
      if (!account) throw new FsmError('transient', 'jobber: the account query answered no account', { provider: 'jobber' });
      return account.id;
    },

    verifyWebhook: verifyJobberWebhook,
    parseWebhook: parseJobberWebhook,
  };
}
