/**
 * The one interface every FSM connector implements. Connectors know their
 * FSM's HTTP shapes and nothing else: no database, no Temporal. Credentials
 * come in through a TokenSource; jobs go out as FsmJob, already mapped.
 */
import type { Provider } from '../domain/task';

/** What a connector needs to authenticate a call. */
export interface TokenSource {
  /** A valid access token (refreshed before expiry by the caller's token manager). */
  accessToken(): Promise<string>;
  /** Called after a 401: refresh now (once per integration at a time) and return the new token. */
  refresh(): Promise<string>;
}

/** Per-integration settings that are not secrets (Simpro's build host and company, say). */
export interface ConnectionSettings {
  /** Base URL of the FSM's API for this integration (per-build for Simpro). */
  baseUrl: string;
  /** Simpro company id (0 by default). */
  companyId?: string;
}

export type FsmJobStatus = 'open' | 'in_progress' | 'completed' | 'cancelled';

/** A job, mapped to what a task needs. */
export interface FsmJob {
  externalId: string;
  title: string;
  description: string;
  customer: { externalId: string; name: string } | null;
  address: string | null;
  /** The scheduled date, which becomes the task's due date. */
  scheduledAt: string | null;
  /** Assigned staff, matched to users by email. */
  assigneeEmails: string[];
  status: FsmJobStatus;
  /** Deleted or inactive in the FSM. */
  deleted: boolean;
  /** The FSM's last-modified time (RFC 3339). */
  updatedAt: string;
}

export interface JobPage {
  jobs: FsmJob[];
  /** Opaque: pass back to get the next page of the same listing; null on the last page. */
  nextPageToken: string | null;
}

export interface ListChangedJobsInput {
  /** Jobs modified after this time (RFC 3339); null lists every job. */
  since: string | null;
  pageToken: string | null;
  pageSize?: number;
}

export interface JobNote {
  noteId: string;
  text: string;
}

export type WebhookEvent = (
  /** Answer the FSM with this body (ServiceM8's subscribe challenge). */
  | { kind: 'challenge'; response: string }
  /** These jobs changed: re-fetch them. */
  | { kind: 'jobs_changed'; externalJobIds: string[]; deliveryId: string | null }
  /**
   * The FSM account removed our app (Jobber's APP_DISCONNECT): its tokens are
   * dead, and the integration needs a reconnect. `occurredAt`, when the FSM
   * says, tells a late delivery from one about the current connection.
   */
  | { kind: 'disconnected'; reason: string; occurredAt: string | null; deliveryId: string | null }
  /** A valid delivery we do not act on. */
  | { kind: 'ignored' }
) & {
  /** The FSM account the delivery is about, where it says (Jobber posts every account's deliveries to one URL). */
  accountId?: string;
};

export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The callback URL's query (ServiceM8 can only carry its secret there). */
  query?: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

export interface FsmConnector {
  readonly provider: Provider;
  listChangedJobs(auth: TokenSource, settings: ConnectionSettings, input: ListChangedJobsInput): Promise<JobPage>;
  getJob(auth: TokenSource, settings: ConnectionSettings, externalJobId: string): Promise<FsmJob | null>;
  /** Posts a note on a job; returns the FSM's note id. */
  postJobNote(auth: TokenSource, settings: ConnectionSettings, externalJobId: string, text: string): Promise<JobNote>;
  /** The job's notes that contain `marker`, where the FSM lets us read notes (exactly-once writeback). */
  findJobNotes(auth: TokenSource, settings: ConnectionSettings, externalJobId: string, marker: string): Promise<JobNote[]>;
  /**
   * The FSM account the credentials belong to, for FSMs whose webhooks must be
   * routed by account (Jobber: one URL per app, every account's deliveries).
   */
  accountId?(auth: TokenSource, settings: ConnectionSettings): Promise<string>;
  /** Checks a webhook's authenticity; false means answer 401 and do nothing. */
  verifyWebhook(request: WebhookRequest, secret: string): boolean;
  parseWebhook(request: WebhookRequest): WebhookEvent;
}
