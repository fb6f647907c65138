/**
 * The integration sync's vocabulary (workflows/integration-sync.ts): its
 * input, the cursor saved on the integration row after every page, the
 * progress it reports, and the query that reports it. Workflow-safe.
 */
import { defineQuery } from '@temporalio/workflow';

/** Ids only: credentials never enter workflow history. */
export interface IntegrationSyncInput {
  tenantId: string;
  integrationId: string;
  /** Pages per run before continuing as new (default PAGES_PER_RUN; tests set it low). */
  pagesPerRun?: number;
}

/** Pages per run of the sync workflow before it continues as new, unless the server suggests it sooner. */
export const PAGES_PER_RUN = 500;

export interface SyncCounts {
  pages: number;
  jobsSeen: number;
  created: number;
  updated: number;
  /** Jobs listed again without a change (the `since` boundary is inclusive, so a few per sync). */
  unchanged: number;
  /** Tasks whose job the FSM completed, and whose workflow was told. */
  completed: number;
  /** Tasks whose job the FSM deleted or cancelled, and which were cancelled. */
  cancelled: number;
  /** Completed tasks whose job the FSM reopened, and which were reopened. */
  reopened: number;
}

export const ZERO_COUNTS: SyncCounts = { pages: 0, jobsSeen: 0, created: 0, updated: 0, unchanged: 0, completed: 0, cancelled: 0, reopened: 0 };

/** Counts saved before a count existed (a listing resumed across a deploy) read as zero. */
export function addCounts(a: Partial<SyncCounts>, b: Partial<SyncCounts>): SyncCounts {
  const sum = { ...ZERO_COUNTS };
  for (const key of Object.keys(ZERO_COUNTS) as (keyof SyncCounts)[]) sum[key] = (a[key] ?? 0) + (b[key] ?? 0);
  return sum;
}

/**
 * One pass over the FSM's jobs. `listing`: pages of jobs changed since
 * `since` (every job when `full`). `sweeping`: after a full listing, the
 * integration's live tasks whose job it did not return are looked up one by
 * one; a job that is gone cancels its task (Simpro and Jobber drop deleted
 * jobs from their lists instead of flagging them).
 */
export interface SyncListing {
  id: string;
  since: string | null;
  full: boolean;
  startedAt: string;
  phase: 'listing' | 'sweeping';
  counts: SyncCounts;
}

/**
 * integrations.sync_cursor. `since`, the newest updatedAt of the last
 * finished listing, is what the next listing starts from; it moves only when
 * a listing finishes, to that listing's `highWatermark` (the newest updatedAt
 * it returned: never the clock, see the connectors). `pageToken` and the
 * counts are saved with each page's tasks, in one transaction.
 */
export interface SyncCursor {
  since: string | null;
  pageToken: string | null;
  highWatermark: string | null;
  listing: SyncListing | null;
  lastFullSyncAt: string | null;
}

export const EMPTY_CURSOR: SyncCursor = { since: null, pageToken: null, highWatermark: null, listing: null, lastFullSyncAt: null };

export interface SyncProgress extends SyncCounts {
  listingId: string;
  full: boolean;
  phase: 'listing' | 'sweeping' | 'done';
  startedAt: string;
}

export function progressOf(listing: SyncListing, done = false): SyncProgress {
  return { ...addCounts(listing.counts, {}), listingId: listing.id, full: listing.full, phase: done ? 'done' : listing.phase, startedAt: listing.startedAt };
}

export type SyncStart =
  /** `generation`: the connection the sync runs with (absent in runs begun before it was recorded). */
  | { run: true; progress: SyncProgress; generation?: number }
  /** Nothing to do: the integration is gone, disconnected, or waits for a reconnect. */
  | { run: false; reason: string };

export interface SyncResult {
  outcome: 'completed' | 'skipped' | 'needs_reconnect';
  reason?: string;
  progress: SyncProgress | null;
}

/** The running sync's progress; null before it has read the cursor. */
export const syncProgressQuery = defineQuery<SyncProgress | null>('syncProgressQuery');
