/**
 * ServiceM8's REST shapes (fsm-apis.md §1; official OpenAPI in
 * ../shared/vendor/servicem8-openapi.json): `/{resource}.json` lists,
 * `/{resource}/{uuid}.json` records, OData-style `$filter`, cursor pages
 * (`cursor=-1`, then the `x-next-cursor` header until it is absent), and
 * `{errorCode, message}` error bodies.
 */
import { FsmError } from '../errors';
import { createHttpClient } from '../http';
import type { ConnectionSettings, TokenSource } from '../types';

const PROVIDER = 'servicem8';

/** ServiceM8's only filter operators (no `ge`/`le`); at most 10 conditions, joined by `and`. */
export type Sm8Condition = [field: string, op: 'eq' | 'ne' | 'gt' | 'lt', value: string | number];

export function sm8Filter(conditions: Sm8Condition[]): string | undefined {
  if (conditions.length === 0) return undefined;
  if (conditions.length > 10) throw new RangeError('ServiceM8 accepts at most 10 filter conditions');
  return conditions
    .map(([field, op, value]) => {
      if (typeof value === 'number') return `${field} ${op} ${value}`;
      // Our values are uuids and timestamps; a quote would need escaping ServiceM8 does not document.
      if (value.includes("'")) throw new RangeError(`unsupported character in filter value: ${value}`);
      return `${field} ${op} '${value}'`;
    })
    .join(' and ');
}

function errorMessage(_status: number, body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  return typeof body === 'string' ? body : JSON.stringify(body);
}

/**
 * ServiceM8 documents no Retry-After; its 429 says which limit was hit
 * (180 a minute, 20,000 a day). Without the header, wait out the minute, or
 * an hour for the daily cap (its reset time is not documented).
 */
function classify(status: number, body: unknown, fallback: FsmError): FsmError {
  if (fallback.kind !== 'rate_limited' || fallback.details.retryAfterMs !== undefined) return fallback;
  const retryAfterMs = /per day/i.test(errorMessage(status, body)) ? 3_600_000 : 60_000;
  return new FsmError('rate_limited', fallback.message, { ...fallback.details, retryAfterMs });
}

function records<T>(body: unknown, what: string): T[] {
  if (!Array.isArray(body)) throw new FsmError('transient', `${PROVIDER}: ${what} did not answer a list`, { provider: PROVIDER });
  return body as T[];
}

export interface Sm8Page<T> {
  records: T[];
  /** The `x-next-cursor` header; null on the last page. */
  nextCursor: string | null;
}

export function createServiceM8Api() {
  const request = createHttpClient({ provider: PROVIDER, errorMessage, classify });
  const url = (s: ConnectionSettings, path: string) => `${s.baseUrl.replace(/\/+$/, '')}${path}`;

  async function page<T>(auth: TokenSource, s: ConnectionSettings, resource: string, filter: string | undefined, cursor: string): Promise<Sm8Page<T>> {
    const res = await request<unknown>(auth, { url: url(s, `/${resource}.json`), query: { $filter: filter, cursor } });
    return { records: records<T>(res.body, `${resource}.json`), nextCursor: res.headers.get('x-next-cursor') || null };
  }

  return {
    page,

    /** Every record matching the filter, following the cursor to the end. */
    async all<T>(auth: TokenSource, s: ConnectionSettings, resource: string, filter?: string): Promise<T[]> {
      const out: T[] = [];
      for (let cursor: string | null = '-1'; cursor; ) {
        const p: Sm8Page<T> = await page<T>(auth, s, resource, filter, cursor);
        out.push(...p.records);
        cursor = p.nextCursor;
      }
      return out;
    },

    /** One record; null when ServiceM8 answers 404 ("does not exist or has been deleted"). */
    async one<T>(auth: TokenSource, s: ConnectionSettings, resource: string, uuid: string): Promise<T | null> {
      try {
        return (await request<T>(auth, { url: url(s, `/${resource}/${encodeURIComponent(uuid)}.json`) })).body;
      } catch (err) {
        if (err instanceof FsmError && err.kind === 'not_found') return null;
        throw err;
      }
    },

    /** `POST /note.json` (createNotes): 200 `{errorCode:0,message:"OK"}`, the new uuid in `x-record-uuid`. */
    async createJobNote(auth: TokenSource, s: ConnectionSettings, jobUuid: string, note: string): Promise<string> {
      const res = await request<unknown>(auth, {
        method: 'POST',
        url: url(s, '/note.json'),
        body: { related_object: 'job', related_object_uuid: jobUuid, note },
      });
      const uuid = res.headers.get('x-record-uuid');
      // Applied but unidentified: the writeback's marker search (findJobNotes) decides what happens next.
      if (!uuid) throw new FsmError('transient', `${PROVIDER}: note created without an x-record-uuid header`, { provider: PROVIDER });
      return uuid;
    },
  };
}

export type ServiceM8Api = ReturnType<typeof createServiceM8Api>;
