/**
 * Commusoft's job → FsmJob. UNVERIFIED: no job resource, field or status is
 * public (fsm-apis.md §4.3, NOT FOUND). The shape below is our best guess,
 * built from the conventions of the (generated) spec's other resources:
 * camelCase, `uuid` keys, an `Address` of addressLine1/2, town, county,
 * postcode, country, customers with firstName/lastName/companyName, diary
 * events with `startDateTime` and an engineer, soft deletes as `deleted: 1`,
 * ISO `updatedAt`. It is checked where it enters, so a real answer of another
 * shape fails loudly with the field that differs instead of importing empty
 * tasks; `mapJob` is an option of the connector for when the real shape is known.
 */
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { FsmError } from '../errors';
import type { FsmJob, FsmJobStatus, JobNote } from '../types';

const optional = <T extends Parameters<typeof Type.Optional>[0]>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

const Address = Type.Object({
  addressLine1: optional(Type.String()),
  addressLine2: optional(Type.String()),
  town: optional(Type.String()),
  county: optional(Type.String()),
  postcode: optional(Type.String()),
  country: optional(Type.String()),
});

export const CommusoftJob = Type.Object({
  uuid: Type.String({ minLength: 1 }),
  jobNumber: optional(Type.Union([Type.String(), Type.Number()])),
  title: optional(Type.String()),
  description: optional(Type.String()),
  status: optional(Type.String()),
  customer: optional(
    Type.Object({ uuid: Type.String(), firstName: optional(Type.String()), lastName: optional(Type.String()), companyName: optional(Type.String()) }),
  ),
  address: optional(Address),
  diaryEvents: optional(
    Type.Array(Type.Object({ startDateTime: optional(Type.String()), engineer: optional(Type.Object({ uuid: optional(Type.String()), email: optional(Type.String()) })) })),
  ),
  deleted: optional(Type.Union([Type.Literal(0), Type.Literal(1), Type.Boolean()])),
  updatedAt: Type.String({ minLength: 1 }),
});
export type CommusoftJob = Static<typeof CommusoftJob>;

/** A job note as we guess Commusoft answers it; the text field's name is configuration (`noteField`). */
export const CommusoftNote = Type.Object({ uuid: Type.String({ minLength: 1 }) });

/** The value, if it has the schema's shape; else a transient FsmError naming the first difference. */
export function parseAs<T extends Parameters<typeof Value.Check>[0]>(schema: T, value: unknown, what: string): Static<T> {
  if (Value.Check(schema, value)) return value;
  const first = Value.Errors(schema, value).First();
  throw new FsmError('transient', `commusoft: unexpected ${what} (UNVERIFIED shape): ${first?.path || '/'} ${first?.message ?? ''}`.trim(), {
    provider: 'commusoft',
  });
}

/** UNVERIFIED status names (only Zapier's "Job Closed" trigger hints at one): configuration, matched lower-case. */
export const DEFAULT_STATUS_MAP: Record<string, FsmJobStatus> = {
  closed: 'completed',
  completed: 'completed',
  complete: 'completed',
  cancelled: 'cancelled',
  canceled: 'cancelled',
  aborted: 'cancelled',
  in_progress: 'in_progress',
  'in progress': 'in_progress',
  started: 'in_progress',
};

export function mapCommusoftJob(job: CommusoftJob, statusMap: Record<string, FsmJobStatus> = DEFAULT_STATUS_MAP): FsmJob {
  const deleted = job.deleted === 1 || job.deleted === true;
  const events = job.diaryEvents ?? [];
  const starts = events.map((e) => e.startDateTime).filter((d): d is string => Boolean(d));
  const emails = events.map((e) => e.engineer?.email?.trim().toLowerCase()).filter((e): e is string => Boolean(e));
  const c = job.customer;
  const a = job.address;
  const address = a && [a.addressLine1, a.addressLine2, a.town, a.county, a.postcode, a.country].filter((p) => p?.trim()).join(', ');
  return {
    externalId: job.uuid,
    title: job.title?.trim() || `Job ${job.jobNumber ?? job.uuid}`,
    description: job.description ?? '',
    customer: c ? { externalId: c.uuid, name: c.companyName || [c.firstName, c.lastName].filter(Boolean).join(' ') } : null,
    address: address || null,
    scheduledAt: starts.sort((x, y) => Date.parse(x) - Date.parse(y))[0] ?? null,
    assigneeEmails: [...new Set(emails)],
    status: deleted ? 'cancelled' : (statusMap[job.status?.trim().toLowerCase() ?? ''] ?? 'open'),
    deleted,
    updatedAt: job.updatedAt,
  };
}

export const mapCommusoftNote = (note: { uuid: string }, text: string): JobNote => ({ noteId: note.uuid, text });
