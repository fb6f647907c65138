import { Type } from '@sinclair/typebox';
import { PROVIDERS } from '../../domain/task';
import { Name, Nullable, StringEnum, Timestamp, Uuid } from './common';

const EXAMPLE_ID = '3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c';

export const INTEGRATION_STATUSES = ['connected', 'syncing', 'error', 'needs_reconnect', 'disconnected'] as const;

const SyncInterval = Type.Integer({ minimum: 60, maximum: 86_400, description: 'seconds between scheduled syncs (default 300)' });
const WritebackEnabled = Type.Boolean({
  description: 'post a job note to the FSM when a training session completes (sync_direction both); false imports only (sync_direction import)',
});

/**
 * Simpro belongs to a build: `acme` or `acme.simprosuite.com`. Self-hosted
 * builds are not accepted here: the token exchange sends our client secret to
 * the build's host, so only Simpro's own hosts (or SIMPRO_* URLs set by the
 * operator) may receive it.
 */
export const SimproSettings = Type.Object(
  {
    build: Type.Optional(
      Type.String({
        pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.simprosuite\\.com)?$',
        maxLength: 100,
        description: 'the build: `acme` for acme.simprosuite.com; required unless the operator set SIMPRO_BASE_URL',
      }),
    ),
    companyId: Type.Optional(Type.String({ pattern: '^[0-9]{1,9}$', description: 'the Simpro company (0 by default)' })),
  },
  { additionalProperties: false },
);

/** Commusoft's login (fsm-apis.md §4.2): no OAuth; these are verified against its getToken, then stored encrypted. */
export const CommusoftLogin = Type.Object(
  {
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'defaults to COMMUSOFT_CLIENT_ID' })),
    username: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.String({ minLength: 1, maxLength: 500 }),
    applicationId: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

export const CreateIntegrationBody = Type.Object(
  {
    provider: StringEnum(PROVIDERS),
    displayName: Type.Optional(Name(200)),
    writebackEnabled: Type.Optional({ ...WritebackEnabled, default: false }),
    syncIntervalSeconds: Type.Optional(SyncInterval),
    settings: Type.Optional({ ...SimproSettings, description: 'Simpro only' }),
    login: Type.Optional({ ...CommusoftLogin, description: 'Commusoft only, and required for it' }),
  },
  {
    additionalProperties: false,
    examples: [
      { provider: 'jobber', displayName: 'Jobber (north)' },
      { provider: 'simpro', settings: { build: 'acme', companyId: '0' }, writebackEnabled: true },
      { provider: 'commusoft', login: { username: 'api@example.com', password: '…', applicationId: 'taskhub' } },
    ],
  },
);

export const PatchIntegrationBody = Type.Object(
  { writebackEnabled: Type.Optional(WritebackEnabled), syncIntervalSeconds: Type.Optional(SyncInterval), displayName: Type.Optional(Name(200)) },
  { additionalProperties: false, minProperties: 1, examples: [{ writebackEnabled: true }, { syncIntervalSeconds: 900 }] },
);

export const ReconnectBody = Type.Object(
  { login: Type.Optional({ ...CommusoftLogin, description: 'Commusoft only, and required for it: the new login' }) },
  { additionalProperties: false },
);

const counts = {
  pages: Type.Integer(),
  jobsSeen: Type.Integer(),
  created: Type.Integer(),
  updated: Type.Integer(),
  unchanged: Type.Integer(),
  completed: Type.Integer({ description: 'tasks whose job the FSM completed' }),
  cancelled: Type.Integer({ description: 'tasks whose job the FSM deleted or cancelled' }),
  reopened: Type.Integer({ description: 'tasks the FSM had completed whose job it reopened' }),
};

export const SyncCountsSchema = Type.Object(counts);

export const SyncProgressSchema = Type.Object({
  ...counts,
  listingId: Type.String(),
  full: Type.Boolean({ description: 'lists every job (first sync, and periodically to find deleted jobs)' }),
  phase: StringEnum(['listing', 'sweeping', 'done'] as const),
  startedAt: Type.String({ format: 'date-time' }),
});

const integrationProps = {
  id: Uuid,
  provider: StringEnum(PROVIDERS),
  displayName: Type.String(),
  status: StringEnum(INTEGRATION_STATUSES, {
    description: 'needs_reconnect until first connected, and whenever the FSM refuses our credentials; disconnected after DELETE',
  }),
  writebackEnabled: WritebackEnabled,
  syncIntervalSeconds: Type.Integer(),
  settings: Type.Object({ build: Type.Optional(Type.String()), companyId: Type.Optional(Type.String()) }),
  lastSyncAt: Nullable(Timestamp),
  lastSyncCounts: Nullable(SyncCountsSchema),
  lastError: Nullable(Type.String({ description: "the error badge's text" })),
  lastErrorAt: Nullable(Timestamp),
  connectedAt: Nullable(Timestamp),
  disconnectedAt: Nullable(Timestamp),
  webhookUrl: Type.String({
    description: "where the FSM posts events (ServiceM8 adds ?secret=…, shown once when the integration is created; Jobber: the app's one URL, /v1/webhooks/jobber)",
  }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};

const integrationExample = {
  id: EXAMPLE_ID,
  provider: 'jobber',
  displayName: 'Jobber',
  status: 'connected',
  writebackEnabled: true,
  syncIntervalSeconds: 300,
  settings: {},
  lastSyncAt: '2026-05-18T09:05:00.000Z',
  lastSyncCounts: { pages: 3, jobsSeen: 120, created: 4, updated: 7, unchanged: 109, completed: 2, cancelled: 0, reopened: 0 },
  lastError: null,
  lastErrorAt: null,
  connectedAt: '2026-05-01T08:00:00.000Z',
  disconnectedAt: null,
  webhookUrl: 'https://api.example.com/v1/webhooks/jobber',
  createdAt: '2026-05-01T07:59:00.000Z',
  updatedAt: '2026-05-18T09:05:00.000Z',
};

export const IntegrationSchema = Type.Object(integrationProps, { examples: [integrationExample] });

/** The card's writeback side (GET /v1/integrations and /:id): job notes needing attention, and the error badge's latest error. */
const writebackProps = {
  writebacks: Type.Object(
    { failed: Type.Integer(), waiting_for_reconnect: Type.Integer(), retrying: Type.Integer() },
    { description: 'job notes not posted, by state (GET /v1/writebacks?integrationId=…&state=… lists them)' },
  ),
  lastWritebackError: Nullable(
    Type.Object({ message: Type.String(), at: Timestamp }, { description: 'the latest error of a job note still failed, retrying or waiting for a reconnect' }),
  ),
};
const writebackExample = { writebacks: { failed: 0, waiting_for_reconnect: 0, retrying: 0 }, lastWritebackError: null };

export const IntegrationCard = Type.Object({ ...integrationProps, ...writebackProps }, { examples: [{ ...integrationExample, ...writebackExample }] });

export const IntegrationList = Type.Object({ items: Type.Array(IntegrationCard) });

export const IntegrationDetail = Type.Object(
  {
    ...integrationProps,
    ...writebackProps,
    syncProgress: Nullable({ ...SyncProgressSchema, description: 'the running sync (sync/<id>): pages, jobs seen, created, updated…; null when none runs' }),
  },
  { examples: [{ ...integrationExample, ...writebackExample, status: 'syncing', syncProgress: null }] },
);

export const WebhookSetup = Type.Object({
  url: Type.String({ description: 'the callback URL to register with the FSM (ServiceM8: with ?secret=…)' }),
  secret: Nullable(
    Type.String({ description: "Simpro: the subscription's Secret; Commusoft: the x-commusoft-webhook-secret header. Null for Jobber, which signs with the app's client secret" }),
  ),
});

export const CreatedIntegration = Type.Object({
  integration: IntegrationSchema,
  authorizeUrl: Nullable(Type.String({ description: "open in the browser to grant access; null for Commusoft, connected by its login at once" })),
  webhook: { ...WebhookSetup, description: 'shown once: the webhook secret is stored encrypted and never shown again' },
});

export const ReconnectResult = Type.Object({
  integration: IntegrationSchema,
  authorizeUrl: Nullable(Type.String({ description: 'open in the browser to grant access again; null for Commusoft, reconnected by its new login at once' })),
});

export const SyncStarted = Type.Object({
  workflowId: Type.String({ description: 'sync/<integrationId>: a sync already running is joined, not doubled' }),
});

export const OAuthCallbackQuery = Type.Object({
  state: Type.String({ minLength: 1, maxLength: 2000 }),
  code: Type.Optional(Type.String({ minLength: 1, maxLength: 4000 })),
  error: Type.Optional(Type.String({ maxLength: 200, description: 'the FSM refused: access_denied, say' })),
  error_description: Type.Optional(Type.String({ maxLength: 2000 })),
});

export const OAuthCallbackResult = Type.Object({
  integration: IntegrationSchema,
  next: Type.Object({
    step: Type.Literal('post_connection_setup'),
    message: Type.String(),
    integrationUrl: Type.String({ description: 'GET it for the card; PATCH {writebackEnabled} with the setup modal' }),
  }),
});

export const WebhookParams = Type.Object({ provider: StringEnum(PROVIDERS), integrationId: Uuid });

export const WebhookQuery = Type.Object({ secret: Type.Optional(Type.String({ maxLength: 200, description: "ServiceM8's shared secret" })) });

const WebhookAction = StringEnum(['sync_started', 'duplicate', 'ignored', 'needs_reconnect'] as const, {
  description:
    "sync_started: the sync (sync/<id>) was started or joined; duplicate: this delivery was seen before; ignored: nothing to do (or another account's event); needs_reconnect: the integration waits for a reconnect (Jobber APP_DISCONNECT marks it so)",
});

export const WebhookAccepted = Type.Object({
  received: Type.Literal(true),
  action: WebhookAction,
  workflowId: Type.Optional(Type.String()),
});

export const AccountWebhookAccepted = Type.Object({
  received: Type.Literal(true),
  integrations: Type.Array(Type.Object({ integrationId: Uuid, action: WebhookAction, workflowId: Type.Optional(Type.String()) }), {
    description: "what the delivery did to each integration connected to its account; empty for an account no integration holds",
  }),
});
