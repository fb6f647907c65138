/**
 * Simpro records (fields as in the Swagger-derived docs, fsm-apis.md §2.3)
 * and their mapping to FsmJob. Pure functions; index.ts fetches the lookups
 * (sites for addresses, employees for emails).
 */
import type { FsmJob, FsmJobStatus } from '../types';

export interface SimproJob {
  ID: number;
  Name?: string | null;
  /** HTML. */
  Description?: string | null;
  Customer?: { ID: number; CompanyName?: string | null; GivenName?: string | null; FamilyName?: string | null } | null;
  Site?: { ID: number; Name?: string | null } | null;
  /** "YYYY-MM-DD" */
  DueDate?: string | null;
  Stage?: 'Pending' | 'Progress' | 'Complete' | 'Invoiced' | 'Archived';
  CompletedDate?: string | null;
  Technicians?: { ID: number; Name?: string | null; Type?: string | null }[] | null;
  /** RFC 3339 with the build's offset, e.g. 2018-05-21T19:53:39+10:00 */
  DateModified: string;
}

export interface SimproAddress {
  Address?: string | null;
  City?: string | null;
  State?: string | null;
  PostalCode?: string | null;
  Country?: string | null;
}

export interface SimproSite {
  ID: number;
  Name?: string | null;
  Address?: SimproAddress | null;
}

export interface SimproEmployee {
  ID: number;
  Name?: string | null;
  PrimaryContact?: { Email?: string | null } | null;
}

export interface SimproNote {
  ID: number;
  Subject?: string | null;
  /** HTML. */
  Note?: string | null;
}

export interface SimproLookups {
  sites: Map<number, SimproSite>;
  employees: Map<number, SimproEmployee>;
}

/** The columns a job listing must ask for: Simpro's default list is only ID, Description and Total. */
export const JOB_COLUMNS = ['ID', 'Name', 'Description', 'Customer', 'Site', 'DueDate', 'Stage', 'CompletedDate', 'Technicians', 'DateModified'];

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntity(entity: string): string {
  if (entity[0] !== '#') return ENTITIES[entity.toLowerCase()] ?? `&${entity};`;
  const code = entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
  return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : `&${entity};`;
}

/** Simpro's rich-text fields as plain text: line breaks kept, tags dropped, entities decoded (last, so `&lt;b&gt;` stays text). */
export function htmlToText(html: string): string {
  return html
    .replace(/<\s*br\s*\/?\s*>/gi, '\n')
    .replace(/<\/\s*(p|div|li|h[1-6]|tr)\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (_m, entity: string) => decodeEntity(entity))
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Our plain text as Simpro note HTML ("HTML allowed"): escaped, newlines as <br />. */
export function textToHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, '<br />');
}

export function fromSimproTime(value: string): string {
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new RangeError(`not a Simpro date: ${value}`);
  return new Date(ms).toISOString();
}

/** RFC 3339 in the shape of Simpro's own examples (explicit offset, no fraction). */
export function toSimproTime(rfc3339: string, offsetSeconds = 0): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) throw new RangeError(`not an RFC 3339 time: ${rfc3339}`);
  return `${new Date(ms + offsetSeconds * 1000).toISOString().slice(0, 19)}+00:00`;
}

/**
 * Stages run Pending → Progress → Complete → Invoiced. Archived stands
 * outside that line: a job taken off the books. If it was completed first
 * (CompletedDate set) the work was done, so it stays completed; otherwise it
 * was dropped before completion, which for its task means cancelled.
 */
export function mapStage(job: Pick<SimproJob, 'Stage' | 'CompletedDate'>): FsmJobStatus {
  switch (job.Stage) {
    case 'Progress':
      return 'in_progress';
    case 'Complete':
    case 'Invoiced':
      return 'completed';
    case 'Archived':
      return job.CompletedDate ? 'completed' : 'cancelled';
    default:
      return 'open';
  }
}

function customerName(c: NonNullable<SimproJob['Customer']>): string {
  return c.CompanyName?.trim() || [c.GivenName, c.FamilyName].filter(Boolean).join(' ').trim() || `Customer ${c.ID}`;
}

export function formatAddress(a: SimproAddress | null | undefined): string | null {
  if (!a) return null;
  const cityLine = [a.City, a.State, a.PostalCode].map((p) => p?.trim()).filter(Boolean).join(' ');
  const parts = [a.Address?.trim(), cityLine, a.Country?.trim()].filter(Boolean);
  return parts.length ? parts.join(', ') : null;
}

/** Technicians are employees or contractors (separate tables, so ids may collide): only employees match by id. */
function isEmployee(t: { Type?: string | null }): boolean {
  return !t.Type || t.Type.toLowerCase() === 'employee';
}

export function mapJob(job: SimproJob, lookups: SimproLookups): FsmJob {
  const description = htmlToText(job.Description ?? '');
  const site = job.Site ? lookups.sites.get(job.Site.ID) : undefined;
  const emails = (job.Technicians ?? [])
    .filter(isEmployee)
    .map((t) => lookups.employees.get(t.ID)?.PrimaryContact?.Email?.trim().toLowerCase())
    .filter((e): e is string => !!e);
  return {
    externalId: String(job.ID),
    title: job.Name?.trim() || description.split('\n')[0]?.slice(0, 120) || `Job ${job.ID}`,
    description,
    customer: job.Customer ? { externalId: String(job.Customer.ID), name: customerName(job.Customer) } : null,
    // Simpro sites are often named by their address: the name stands in when the site has none.
    address: formatAddress(site?.Address) ?? (job.Site?.Name?.trim() || null),
    // A calendar date without a zone: midnight UTC, as ServiceM8's dates.
    scheduledAt: job.DueDate ? fromSimproTime(job.DueDate) : null,
    assigneeEmails: [...new Set(emails)].sort(),
    status: mapStage(job),
    // Simpro removes deleted jobs (they answer 404) rather than flagging them.
    deleted: false,
    updatedAt: fromSimproTime(job.DateModified),
  };
}

export function referencedSites(jobs: SimproJob[]): number[] {
  return [...new Set(jobs.map((j) => j.Site?.ID).filter((id): id is number => typeof id === 'number'))];
}

export function hasTechnicians(jobs: SimproJob[]): boolean {
  return jobs.some((j) => (j.Technicians ?? []).some(isEmployee));
}
