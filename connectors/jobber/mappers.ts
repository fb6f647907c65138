/**
 * Jobber's job (as selected by queries.ts) → FsmJob. The GraphQL schema
 * already guarantees the shape and nullability of what comes back, so the
 * types here mirror the selection rather than re-validating it.
 */
import type { FsmJob, FsmJobStatus, JobNote } from '../types';

export interface JobberJobNode {
  id: string;
  jobNumber: number;
  title: string | null;
  instructions: string | null;
  /** JobStatusTypeEnum (fsm-apis.md §3.3). */
  jobStatus: string;
  updatedAt: string;
  startAt: string | null;
  completedAt: string | null;
  client: { id: string; name: string; companyName: string | null };
  property: {
    address: { street1: string | null; street2: string | null; city: string | null; province: string | null; postalCode: string | null; country: string | null };
  };
  visits: {
    nodes: { startAt: string | null; isComplete: boolean; assignedUsers: { nodes: { email: { raw: string } }[] } | null }[];
  };
}

export interface JobberNoteNode {
  id: string;
  message: string;
  createdAt: string;
}

/** "Completed" means closed: `archived` or `requires_invoicing` (the schema's enum descriptions, fsm-apis.md §3.3). */
const CLOSED = new Set(['archived', 'requires_invoicing']);

/**
 * Closed → completed. An open job with a visit already marked complete has
 * work under way → in_progress; otherwise open. Jobber has no cancelled
 * status: a destroyed job is simply gone (getJob answers null).
 *
 * Read from the job's data, never from the clock: Jobber's `today`, `late`
 * and `upcoming` move with the date while the job (and its updatedAt) stays
 * put, so a clock-based status would go stale between incremental syncs.
 */
export function jobberStatus(job: Pick<JobberJobNode, 'jobStatus' | 'visits'>): FsmJobStatus {
  if (CLOSED.has(job.jobStatus)) return 'completed';
  return job.visits.nodes.some((v) => v.isComplete) ? 'in_progress' : 'open';
}

function joinAddress(a: JobberJobNode['property']['address']): string | null {
  const parts = [a.street1, a.street2, a.city, a.province, a.postalCode, a.country].map((p) => p?.trim()).filter(Boolean);
  return parts.length ? parts.join(', ') : null;
}

function earliest(dates: (string | null)[]): string | null {
  const known = dates.filter((d): d is string => d !== null);
  return known.length ? known.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b)) : null;
}

export function mapJobberJob(job: JobberJobNode): FsmJob {
  const emails = job.visits.nodes.flatMap((v) => v.assignedUsers?.nodes.map((u) => u.email.raw.trim().toLowerCase()) ?? []);
  return {
    externalId: job.id,
    title: job.title?.trim() || `Job #${job.jobNumber}`,
    description: job.instructions ?? '',
    customer: { externalId: job.client.id, name: job.client.name || job.client.companyName || '' },
    address: joinAddress(job.property.address),
    scheduledAt: job.startAt ?? earliest(job.visits.nodes.map((v) => v.startAt)),
    assigneeEmails: [...new Set(emails.filter(Boolean))],
    status: jobberStatus(job),
    deleted: false,
    updatedAt: job.updatedAt,
  };
}

export const mapJobberNote = (note: JobberNoteNode): JobNote => ({ noteId: note.id, text: note.message });
