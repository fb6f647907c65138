/**
 * Commusoft: built on the best public evidence, which is thin (fsm-apis.md
 * §4: the official Apiary docs could not be read; the only machine-readable
 * spec is third-party and generated). Everything marked UNVERIFIED below is a
 * guess kept in configuration, to be replaced with Commusoft's partner docs.
 */
import { FsmError } from '../errors';
import type { FsmConnector, FsmJob, FsmJobStatus } from '../types';
import { createCommusoftApi } from './api';
import { CommusoftJob, CommusoftNote, DEFAULT_STATUS_MAP, mapCommusoftJob, mapCommusoftNote, parseAs } from './mappers';
import { parseCommusoftWebhook, verifyCommusoftWebhook } from './webhook';

export { type CommusoftCredentials, getCommusoftToken } from './api';

export const COMMUSOFT_DEFAULTS = {
  /** UNVERIFIED (§4.1): the generated spec's server; its own probe found no HTTPS there. Authoritative base URL NOT FOUND. */
  baseUrl: 'https://api.commusoft.com/api/v1',
  /** [3P-DOC, generated] (§4.2): `POST /getToken` → plain-text token; header `X-Auth-Token`. */
  tokenPath: '/getToken',
  tokenHeader: 'X-Auth-Token',
  /** UNVERIFIED (§4.3, NOT FOUND): one third-party client calls `/jobs/{id}`; a job list is a guess. */
  jobsPath: '/jobs',
  jobPath: '/jobs/{uuid}',
  /** UNVERIFIED (§4.4, NOT FOUND): no job-note endpoint or body is public. GET on the same path lists them. */
  notesPath: '/jobs/{uuid}/notes',
  noteField: 'note',
  /** UNVERIFIED (§4.3, NOT FOUND): the change filter and pagination are guesses. */
  modifiedSinceParam: 'modifiedSince',
  pageParam: 'page',
  pageSizeParam: 'pageSize',
  firstPage: 1,
  pageSize: 100,
  /** Where a list answer keeps its items: null for a bare array (the generated spec's lists), else e.g. 'data'. */
  listKey: null as string | null,
  /** More query parameters for the job list, e.g. a sort by modification time (see listChangedJobs). */
  listQuery: {} as Record<string, string>,
  /** UNVERIFIED (§4.5, NOT FOUND): our own scheme, see webhook.ts. */
  webhookSecretHeader: 'x-commusoft-webhook-secret',
  webhookJobIdField: 'jobUuid',
  webhookDeliveryIdField: 'id',
  statusMap: DEFAULT_STATUS_MAP,
};

export type CommusoftConfig = typeof COMMUSOFT_DEFAULTS;

export interface CommusoftOptions extends Partial<Omit<CommusoftConfig, 'baseUrl'>> {
  /** Replaces the guessed job mapping once Commusoft's real job shape is known. */
  mapJob?: (raw: unknown, statusMap: Record<string, FsmJobStatus>) => FsmJob;
  timeoutMs?: number;
}

const defaultMapJob = (raw: unknown, statusMap: Record<string, FsmJobStatus>) => mapCommusoftJob(parseAs(CommusoftJob, raw, 'job'), statusMap);

export function createCommusoftConnector(options: CommusoftOptions = {}): FsmConnector {
  const c: CommusoftConfig = { ...COMMUSOFT_DEFAULTS, ...options };
  const mapJob = options.mapJob ?? defaultMapJob;
  const request = createCommusoftApi(c.tokenHeader);
  const url = (base: string, path: string, uuid = '') => `${base}${path.replace('{uuid}', encodeURIComponent(uuid))}`;
  const list = (body: unknown, what: string): unknown[] => {
    const items = c.listKey === null ? body : (body as Record<string, unknown> | null)?.[c.listKey];
    if (!Array.isArray(items)) throw new FsmError('transient', `commusoft: unexpected ${what} list (UNVERIFIED shape): not an array`, { provider: 'commusoft' });
    return items;
  };

  return {
    provider: 'commusoft',

    /**
     * Page numbers over a modified-since filter (UNVERIFIED, and so is the
     * order). A page-number listing shifts when a job changes mid-listing. In
     * creation order (the fake's) a changed job keeps its place, and one that
     * newly matches the filter only pushes later jobs back; newest-change
     * first moves it to the front. Either way a page boundary can repeat a
     * job, never skip one. Oldest-change first would move the changed
     * job to the end and the pages after its old place back by one, skipping
     * a job; if Commusoft lists that way, ask for another order through
     * `listQuery`. Either way the caller's next `since` is the newest
     * updatedAt the listing returned, never the wall clock.
     */
    async listChangedJobs(auth, settings, { since, pageToken, pageSize }) {
      const page = pageToken === null ? c.firstPage : Number(pageToken);
      if (!Number.isInteger(page)) throw new FsmError('payload_rejected', 'commusoft: not a page token of this connector', { provider: 'commusoft' });
      const size = pageSize ?? c.pageSize;
      const res = await request<unknown>(auth, {
        url: url(settings.baseUrl, c.jobsPath),
        query: { ...c.listQuery, [c.modifiedSinceParam]: since ?? undefined, [c.pageParam]: page, [c.pageSizeParam]: size },
        timeoutMs: options.timeoutMs,
      });
      const items = list(res.body, 'job');
      // No total or next link is known: a short page is the last.
      return { jobs: items.map((raw) => mapJob(raw, c.statusMap)), nextPageToken: items.length < size ? null : String(page + 1) };
    },

    /** Null for a job that is gone: 404, or soft-deleted (`deleted: 1`, as the spec's other resources). */
    async getJob(auth, settings, externalJobId) {
      try {
        const res = await request<unknown>(auth, { url: url(settings.baseUrl, c.jobPath, externalJobId), timeoutMs: options.timeoutMs });
        const job = mapJob(res.body, c.statusMap);
        return job.deleted ? null : job;
      } catch (err) {
        if (err instanceof FsmError && err.kind === 'not_found') return null;
        throw err;
      }
    },

    async postJobNote(auth, settings, externalJobId, text) {
      const res = await request<unknown>(auth, {
        method: 'POST',
        url: url(settings.baseUrl, c.notesPath, externalJobId),
        body: { [c.noteField]: text },
        timeoutMs: options.timeoutMs,
      });
      return mapCommusoftNote(parseAs(CommusoftNote, res.body, 'note'), text);
    },

    /** UNVERIFIED: assumes GET on the notes path lists them all, unpaged. */
    async findJobNotes(auth, settings, externalJobId, marker) {
      const res = await request<unknown>(auth, { url: url(settings.baseUrl, c.notesPath, externalJobId), timeoutMs: options.timeoutMs });
      return list(res.body, 'note').flatMap((raw) => {
        const text = (raw as Record<string, unknown> | null)?.[c.noteField];
        return typeof text === 'string' && text.includes(marker) ? [mapCommusoftNote(parseAs(CommusoftNote, raw, 'note'), text)] : [];
      });
    },

    verifyWebhook: (req, secret) => verifyCommusoftWebhook(c, req, secret),
    parseWebhook: (req) => parseCommusoftWebhook(c, req),
  };
}
