-- Up Migration
-- The foundation schema. Every row carries its tenant; cross-table references
-- are composite (tenant_id, id) foreign keys, so a row can never point at
-- another tenant's row, and every index leads with tenant_id, so no query
-- has to read another tenant's rows.

-- btree_gin lets the full-text index lead with tenant_id as well.
CREATE EXTENSION IF NOT EXISTS btree_gin;

CREATE TABLE tenants (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  time_zone   text NOT NULL DEFAULT 'UTC',
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email       text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  role        text NOT NULL CHECK (role IN ('admin', 'engineer')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id),
  UNIQUE (tenant_id, id)
);
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, lower(email));

-- Bearer tokens: a user's token acts as that user; an API key acts as the
-- tenant's developer integration. Only a SHA-256 of the token is stored:
-- tokens are 256 random bits, so a slow hash adds nothing.
CREATE TABLE api_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id      uuid,
  kind         text NOT NULL CHECK (kind IN ('user', 'api_key')),
  name         text NOT NULL DEFAULT '',
  token_hash   bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
  CHECK ((kind = 'user') = (user_id IS NOT NULL))
);

CREATE TABLE integrations (
  id              uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  provider        text NOT NULL CHECK (provider IN ('servicem8', 'simpro', 'jobber', 'commusoft')),
  sync_direction  text NOT NULL DEFAULT 'both' CHECK (sync_direction IN ('import', 'both')),
  status          text NOT NULL DEFAULT 'connected'
                    CHECK (status IN ('connected', 'syncing', 'error', 'needs_reconnect', 'disconnected')),
  last_error      text,
  last_error_at   timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id)
);

CREATE TABLE customers (
  id          uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id)
);

CREATE TABLE projects (
  id          uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id)
);

CREATE TABLE milestones (
  id          uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  project_id  uuid NOT NULL,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE tasks (
  id                   uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  title                text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  description          text NOT NULL DEFAULT '',
  status               text NOT NULL DEFAULT 'open'
                         CHECK (status IN ('open', 'in_progress', 'waiting', 'completed', 'cancelled', 'archived')),
  priority             text NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  -- Sorting by priority sorts by this rank (low < medium < high < urgent).
  priority_rank        smallint GENERATED ALWAYS AS (
                         CASE priority WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 ELSE 3 END
                       ) STORED,
  due_at               timestamptz,
  -- Keyset pagination needs a non-null sort key: tasks without a due date sort last.
  due_sort             timestamptz GENERATED ALWAYS AS (coalesce(due_at, 'infinity'::timestamptz)) STORED,
  source               text NOT NULL CHECK (source IN ('manual', 'api', 'integration')),
  integration_id       uuid,
  source_provider      text CHECK (source_provider IN ('servicem8', 'simpro', 'jobber', 'commusoft')),
  external_job_id      text,
  completion_source    text CHECK (completion_source IN ('session', 'manual', 'integration', 'other')),
  completed_at         timestamptz,
  private              boolean NOT NULL DEFAULT false,
  tags                 text[] NOT NULL DEFAULT '{}',
  customer_id          uuid,
  project_id           uuid,
  milestone_id         uuid,
  created_by           uuid,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  -- Set once the task's lifecycle workflow is known to exist; the reconciler
  -- starts workflows for rows where it is still null (see temporal/task-workflows.ts).
  workflow_started_at  timestamptz,
  search               tsvector GENERATED ALWAYS AS (
                         setweight(to_tsvector('english', title), 'A') ||
                         setweight(to_tsvector('english', description), 'B')
                       ) STORED,
  UNIQUE (tenant_id, id),
  CHECK ((source = 'integration') = (source_provider IS NOT NULL)),
  FOREIGN KEY (tenant_id, integration_id) REFERENCES integrations (tenant_id, id) ON DELETE SET NULL (integration_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE SET NULL (customer_id),
  FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) ON DELETE SET NULL (project_id),
  FOREIGN KEY (tenant_id, milestone_id) REFERENCES milestones (tenant_id, id) ON DELETE SET NULL (milestone_id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id) ON DELETE SET NULL (created_by)
);
-- One index per sort key, each leading with the tenant; (…, id) makes keyset pagination exact.
CREATE INDEX tasks_tenant_status_created ON tasks (tenant_id, status, created_at, id);
CREATE INDEX tasks_tenant_created ON tasks (tenant_id, created_at, id);
CREATE INDEX tasks_tenant_updated ON tasks (tenant_id, updated_at, id);
CREATE INDEX tasks_tenant_due ON tasks (tenant_id, due_sort, id);
CREATE INDEX tasks_tenant_priority ON tasks (tenant_id, priority_rank, created_at, id);
CREATE INDEX tasks_tenant_search ON tasks USING gin (tenant_id, search);
CREATE INDEX tasks_tenant_tags ON tasks USING gin (tenant_id, tags);
CREATE UNIQUE INDEX tasks_integration_job ON tasks (tenant_id, integration_id, external_job_id)
  WHERE external_job_id IS NOT NULL;
CREATE INDEX tasks_workflow_missing ON tasks (created_at) WHERE workflow_started_at IS NULL;

CREATE TABLE task_assignees (
  tenant_id  uuid NOT NULL,
  task_id    uuid NOT NULL,
  user_id    uuid NOT NULL,
  PRIMARY KEY (task_id, user_id),
  FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX task_assignees_user ON task_assignees (tenant_id, user_id, task_id);

CREATE TABLE attachments (
  id            uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  tenant_id     uuid NOT NULL,
  task_id       uuid NOT NULL,
  filename      text NOT NULL,
  content_type  text NOT NULL,
  size_bytes    bigint NOT NULL,
  sha256        text NOT NULL,
  blob_key      text NOT NULL,
  created_by    uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX attachments_task ON attachments (tenant_id, task_id, created_at);

-- The audit trail. Event ids come from the writer (the lifecycle workflow
-- generates them deterministically), so a retried write records one event.
CREATE TABLE task_events (
  id          uuid NOT NULL PRIMARY KEY,
  tenant_id   uuid NOT NULL,
  task_id     uuid NOT NULL,
  type        text NOT NULL,
  actor_kind  text NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'system', 'integration')),
  actor_id    uuid,
  data        jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX task_events_task ON task_events (tenant_id, task_id, created_at);

CREATE TABLE sessions (
  id                uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  tenant_id         uuid NOT NULL,
  task_id           uuid NOT NULL,
  engineer_id       uuid,
  status            text NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'completed', 'failed', 'abandoned')),
  started_at        timestamptz NOT NULL DEFAULT now(),
  ended_at          timestamptz,
  failure_reason    text,
  score             smallint CHECK (score BETWEEN 0 AND 100),
  duration_seconds  integer CHECK (duration_seconds >= 0),
  steps_completed   integer CHECK (steps_completed >= 0),
  tools_used        text[] NOT NULL DEFAULT '{}',
  notes             text,
  recording_key     text,
  thumbnail_key     text,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, engineer_id) REFERENCES users (tenant_id, id) ON DELETE SET NULL (engineer_id)
);
CREATE INDEX sessions_task ON sessions (tenant_id, task_id, started_at);
CREATE UNIQUE INDEX sessions_one_running ON sessions (task_id) WHERE status = 'running';

-- A replayed request with the same Idempotency-Key returns the stored response.
CREATE TABLE idempotency_keys (
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  key           text NOT NULL,
  request_hash  text NOT NULL,
  status_code   smallint NOT NULL,
  response      jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);
