/**
 * ServiceM8 records (the fields we read, as in the official OpenAPI
 * `components.schemas`) and their mapping to FsmJob. Pure functions: the
 * lookups (companies, job activities, staff) are fetched by index.ts.
 */
import type { FsmJob, FsmJobStatus } from '../types';

/** `Job` (servicem8-openapi.json). Unset fields come back as "" rather than absent. */
export interface Sm8Job {
  uuid: string;
  active: 0 | 1;
  status: 'Quote' | 'Work Order' | 'Unsuccessful' | 'Completed';
  /** "YYYY-MM-DD HH:MM:SS" */
  edit_date: string;
  /** "The date the job was created or scheduled": "YYYY-MM-DD" or a full timestamp. */
  date?: string;
  job_description?: string;
  job_address?: string;
  company_uuid?: string;
  generated_job_id?: string;
  queue_assigned_staff_uuid?: string;
}

/** `JobActivity`: a booking (scheduled) or logged time (recorded) of one staff member on one job. */
export interface Sm8JobActivity {
  uuid: string;
  active: 0 | 1;
  job_uuid: string;
  staff_uuid?: string;
  start_date?: string;
  /** "1" / "0" (the spec types these flags as strings). */
  activity_was_scheduled?: string;
  activity_was_recorded?: string;
}

export interface Sm8Staff {
  uuid: string;
  email: string;
}

export interface Sm8Company {
  uuid: string;
  name: string;
}

export interface Sm8Note {
  uuid: string;
  active: 0 | 1;
  related_object_uuid?: string;
  note?: string;
}

export interface Sm8Lookups {
  companies: Map<string, Sm8Company>;
  activitiesByJob: Map<string, Sm8JobActivity[]>;
  staff: Map<string, Sm8Staff>;
}

/** ServiceM8's "empty" values: "", and zero dates on records that never had one. */
function present(value: string | undefined): string | null {
  if (!value || /^0000-00-00/.test(value)) return null;
  return value;
}

/**
 * ServiceM8 timestamps carry no zone and the docs do not say which one they
 * are in (see fsm-apis.md §6). We read them as UTC and write filters back in
 * UTC, so a `since` taken from a job's own updatedAt round-trips exactly.
 */
export function fromSm8Time(value: string): string {
  const iso = value.length === 10 ? `${value}T00:00:00Z` : `${value.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RangeError(`not a ServiceM8 timestamp: ${value}`);
  return new Date(ms).toISOString();
}

export function toSm8Time(rfc3339: string, offsetSeconds = 0): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) throw new RangeError(`not an RFC 3339 time: ${rfc3339}`);
  return new Date(ms + offsetSeconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

const flag = (v: string | undefined) => v === '1';

/**
 * Quote and Work Order are both work still to do. A Work Order with recorded
 * time (a check-in) has started. Unsuccessful is ServiceM8's "won't be done".
 */
export function mapStatus(job: Sm8Job, activities: Sm8JobActivity[]): FsmJobStatus {
  switch (job.status) {
    case 'Completed':
      return 'completed';
    case 'Unsuccessful':
      return 'cancelled';
    case 'Work Order':
      return activities.some((a) => flag(a.activity_was_recorded)) ? 'in_progress' : 'open';
    default:
      return 'open';
  }
}

function title(job: Sm8Job): string {
  // ServiceM8 jobs have no title: the first line of the description, else the job number.
  const firstLine = (job.job_description ?? '').split(/\r?\n/).find((l) => l.trim())?.trim() ?? '';
  if (firstLine) return firstLine.length > 120 ? `${firstLine.slice(0, 119)}…` : firstLine;
  return job.generated_job_id ? `Job #${job.generated_job_id}` : `Job ${job.uuid}`;
}

/** The earliest booking's start, else the job's own date. */
function scheduledAt(job: Sm8Job, activities: Sm8JobActivity[]): string | null {
  const starts = activities
    .filter((a) => flag(a.activity_was_scheduled))
    .map((a) => present(a.start_date))
    .filter((d): d is string => d !== null)
    .sort();
  const date = starts[0] ?? present(job.date);
  return date ? fromSm8Time(date) : null;
}

function assigneeEmails(job: Sm8Job, activities: Sm8JobActivity[], staff: Map<string, Sm8Staff>): string[] {
  const uuids = new Set(activities.map((a) => a.staff_uuid).filter((u): u is string => !!u));
  const queued = present(job.queue_assigned_staff_uuid);
  if (queued) uuids.add(queued);
  const emails = [...uuids].map((u) => staff.get(u)?.email?.trim().toLowerCase()).filter((e): e is string => !!e);
  return [...new Set(emails)].sort();
}

export function mapJob(job: Sm8Job, lookups: Sm8Lookups): FsmJob {
  const activities = (lookups.activitiesByJob.get(job.uuid) ?? []).filter((a) => a.active === 1);
  const companyUuid = present(job.company_uuid);
  const company = companyUuid ? lookups.companies.get(companyUuid) : undefined;
  return {
    externalId: job.uuid,
    title: title(job),
    description: job.job_description ?? '',
    customer: company ? { externalId: company.uuid, name: company.name } : null,
    address: present(job.job_address?.trim()),
    scheduledAt: scheduledAt(job, activities),
    assigneeEmails: assigneeEmails(job, activities, lookups.staff),
    status: mapStatus(job, activities),
    deleted: job.active === 0,
    updatedAt: fromSm8Time(job.edit_date),
  };
}

/** The uuids a page of jobs needs looked up. */
export function referencedCompanies(jobs: Sm8Job[]): string[] {
  return [...new Set(jobs.map((j) => present(j.company_uuid)).filter((u): u is string => u !== null))];
}

export function needsStaff(jobs: Sm8Job[], activitiesByJob: Map<string, Sm8JobActivity[]>): boolean {
  return jobs.some((j) => present(j.queue_assigned_staff_uuid) || (activitiesByJob.get(j.uuid)?.length ?? 0) > 0);
}
