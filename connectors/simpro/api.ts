/**
 * Simpro's REST shapes (fsm-apis.md §2): company-scoped paths under the
 * build's `/api/v1.0`, `columns=` to choose fields, `page`/`pageSize` with
 * the page count in `Result-Pages`, field filters as `Field=op(value)`, and
 * errors as `{status:"error", …, data:{errors:[{path, message, value}]}}`
 * (that body is [3P-DOC]; we also read a bare `errors` or `message`).
 */
import { FsmError } from '../errors';
import { createHttpClient } from '../http';
import type { ConnectionSettings, TokenSource } from '../types';
import type { SimproNote } from './mappers';

const PROVIDER = 'simpro';

/** 250 is the largest page size reported [3P-DOC]; Simpro's default is 30. */
export const SIMPRO_MAX_PAGE_SIZE = 250;

type Query = Record<string, string | number | undefined>;

interface SimproErrorBody {
  message?: unknown;
  errors?: { path?: unknown; message?: unknown }[];
  data?: { errors?: { path?: unknown; message?: unknown }[] };
}

function errorMessage(_status: number, body: unknown): string {
  const b = (body && typeof body === 'object' ? body : {}) as SimproErrorBody;
  const errors = b.data?.errors ?? b.errors;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors.map((e) => (e.path ? `${String(e.path)}: ${String(e.message)}` : String(e.message))).join('; ');
  }
  if (typeof b.message === 'string') return b.message;
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/** No rate-limit headers are documented; the limit is 10 a second per build, so a second is the wait. */
function classify(_status: number, _body: unknown, fallback: FsmError): FsmError {
  if (fallback.kind !== 'rate_limited' || fallback.details.retryAfterMs !== undefined) return fallback;
  return new FsmError('rate_limited', fallback.message, { ...fallback.details, retryAfterMs: 1000 });
}

export interface SimproPage<T> {
  records: T[];
  /** `Result-Pages`; null when the header is missing. */
  pages: number | null;
}

export function createSimproApi() {
  const request = createHttpClient({ provider: PROVIDER, errorMessage, classify });
  /** `{baseUrl}/companies/{companyID}`: companyID is 0 unless the build is multi-company. */
  const company = (s: ConnectionSettings) => `${s.baseUrl.replace(/\/+$/, '')}/companies/${encodeURIComponent(s.companyId ?? '0')}`;

  async function page<T>(auth: TokenSource, s: ConnectionSettings, path: string, query: Query): Promise<SimproPage<T>> {
    const res = await request<unknown>(auth, { url: `${company(s)}${path}`, query });
    if (!Array.isArray(res.body)) throw new FsmError('transient', `${PROVIDER}: ${path} did not answer a list`, { provider: PROVIDER });
    const pages = Number(res.headers.get('result-pages'));
    return { records: res.body as T[], pages: res.headers.has('result-pages') && Number.isFinite(pages) ? pages : null };
  }

  return {
    page,

    /** Every record of a list, page by page at the largest page size. */
    async all<T>(auth: TokenSource, s: ConnectionSettings, path: string, query: Query): Promise<T[]> {
      const out: T[] = [];
      for (let n = 1; ; n++) {
        const p = await page<T>(auth, s, path, { ...query, pageSize: SIMPRO_MAX_PAGE_SIZE, page: n });
        out.push(...p.records);
        if (!hasNextPage(p, n, SIMPRO_MAX_PAGE_SIZE)) return out;
      }
    },

    /** One record; null on 404 (Simpro removes deleted records). */
    async one<T>(auth: TokenSource, s: ConnectionSettings, path: string, query?: Query): Promise<T | null> {
      try {
        return (await request<T>(auth, { url: `${company(s)}${path}`, query })).body;
      } catch (err) {
        if (err instanceof FsmError && err.kind === 'not_found') return null;
        throw err;
      }
    },

    /** `POST …/jobs/{jobID}/notes/` → 201 with the note; 422 when Simpro refuses the body. */
    async createJobNote(auth: TokenSource, s: ConnectionSettings, jobId: string, subject: string, noteHtml: string): Promise<SimproNote> {
      const res = await request<SimproNote>(auth, {
        method: 'POST',
        url: `${company(s)}/jobs/${encodeURIComponent(jobId)}/notes/`,
        body: { Subject: subject, Note: noteHtml },
      });
      return res.body;
    },
  };
}

/** `Result-Pages` says; without it, a full page means there may be more. */
export function hasNextPage(p: SimproPage<unknown>, page: number, pageSize: number): boolean {
  return p.pages !== null ? page < p.pages : p.records.length === pageSize;
}

export type SimproApi = ReturnType<typeof createSimproApi>;
