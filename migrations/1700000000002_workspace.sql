-- Up Migration
-- Seed 001's workspace: customers with contact details, FSM references and
-- links between customer records; project descriptions and milestone due
-- dates; comments on tasks; task templates with their files; date-only due
-- dates. Same rules as the foundation: every row carries its tenant, every
-- reference is a composite (tenant_id, id) foreign key, every index leads
-- with tenant_id.

-- Customers: created by hand, or imported from an FSM's client record, which
-- the (integration_id, external_id) pair identifies. Both refs go together.
ALTER TABLE customers
  ADD COLUMN email           text CHECK (length(email) <= 320),
  ADD COLUMN phone           text CHECK (length(phone) <= 50),
  ADD COLUMN address         text CHECK (length(address) <= 1000),
  ADD COLUMN integration_id  uuid,
  ADD COLUMN external_id     text CHECK (length(external_id) BETWEEN 1 AND 200),
  ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT customers_external_ref_pair CHECK ((integration_id IS NULL) = (external_id IS NULL)),
  ADD CONSTRAINT customers_integration_fkey FOREIGN KEY (tenant_id, integration_id)
    REFERENCES integrations (tenant_id, id);  -- integrations are marked disconnected, not deleted; a plain reference keeps the pair intact
CREATE UNIQUE INDEX customers_external_ref ON customers (tenant_id, integration_id, external_id)
  WHERE integration_id IS NOT NULL;
CREATE INDEX customers_tenant_name ON customers (tenant_id, name, id);

-- Links between customer records (a parent company and its sites). A link is
-- symmetric, so it is stored once, the smaller id first; queries look both ways.
CREATE TABLE customer_links (
  tenant_id    uuid NOT NULL,
  customer_a   uuid NOT NULL,
  customer_b   uuid NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, customer_a, customer_b),
  CHECK (customer_a < customer_b),
  CONSTRAINT customer_links_a_fkey FOREIGN KEY (tenant_id, customer_a) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT customer_links_b_fkey FOREIGN KEY (tenant_id, customer_b) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX customer_links_b ON customer_links (tenant_id, customer_b, customer_a);

ALTER TABLE projects
  ADD COLUMN description  text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
  ADD COLUMN customer_id  uuid,
  ADD COLUMN updated_at   timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT projects_customer_fkey FOREIGN KEY (tenant_id, customer_id)
    REFERENCES customers (tenant_id, id) ON DELETE SET NULL (customer_id);
CREATE INDEX projects_tenant_name ON projects (tenant_id, name, id);
CREATE INDEX projects_tenant_customer ON projects (tenant_id, customer_id) WHERE customer_id IS NOT NULL;

ALTER TABLE milestones
  ADD COLUMN due_date    date,
  ADD COLUMN updated_at  timestamptz NOT NULL DEFAULT now(),
  -- The target of the "milestone belongs to the project" keys below.
  ADD CONSTRAINT milestones_tenant_project_id_key UNIQUE (tenant_id, project_id, id);
CREATE INDEX milestones_project ON milestones (tenant_id, project_id, due_date, id);

-- Tasks: a milestone must be one of the task's project (checked when both are
-- set); the context columns get indexes for the list filters and for the
-- ON DELETE SET NULL of their foreign keys.
ALTER TABLE tasks
  -- A date-only due date ("due 2026-05-01"): due_at is then the start of the
  -- next day in the tenant's time zone, so "overdue" (due_at < now()) holds
  -- at day granularity everywhere, the lifecycle workflow's timer included.
  ADD COLUMN due_date date,
  ADD CONSTRAINT tasks_due_date_has_due_at CHECK (due_date IS NULL OR due_at IS NOT NULL),
  ADD CONSTRAINT tasks_milestone_in_project FOREIGN KEY (tenant_id, project_id, milestone_id)
    REFERENCES milestones (tenant_id, project_id, id) ON DELETE SET NULL (milestone_id);
CREATE INDEX tasks_tenant_customer ON tasks (tenant_id, customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX tasks_tenant_project ON tasks (tenant_id, project_id) WHERE project_id IS NOT NULL;
CREATE INDEX tasks_tenant_milestone ON tasks (tenant_id, milestone_id) WHERE milestone_id IS NOT NULL;

-- The conversation around a task. Edits keep the comment's id and set edited_at.
CREATE TABLE task_comments (
  id          uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  tenant_id   uuid NOT NULL,
  task_id     uuid NOT NULL,
  author_id   uuid,
  body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
  created_at  timestamptz NOT NULL DEFAULT now(),
  edited_at   timestamptz,
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id) ON DELETE SET NULL (author_id)
);
CREATE INDEX task_comments_task ON task_comments (tenant_id, task_id, created_at, id);

-- Task templates: what a task created from one starts with.
CREATE TABLE task_templates (
  id            uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
  description   text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'waiting')),
  -- Added to the creation time in the tenant's time zone: days and months are calendar ones.
  due_offset    interval CHECK (due_offset > interval '0'),
  priority      text NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  private       boolean NOT NULL DEFAULT false,
  tags          text[] NOT NULL DEFAULT '{}',
  customer_id   uuid,
  project_id    uuid,
  milestone_id  uuid,
  created_by    uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  CONSTRAINT task_templates_customer_fkey FOREIGN KEY (tenant_id, customer_id)
    REFERENCES customers (tenant_id, id) ON DELETE SET NULL (customer_id),
  CONSTRAINT task_templates_project_fkey FOREIGN KEY (tenant_id, project_id)
    REFERENCES projects (tenant_id, id) ON DELETE SET NULL (project_id),
  CONSTRAINT task_templates_milestone_fkey FOREIGN KEY (tenant_id, milestone_id)
    REFERENCES milestones (tenant_id, id) ON DELETE SET NULL (milestone_id),
  CONSTRAINT task_templates_milestone_in_project FOREIGN KEY (tenant_id, project_id, milestone_id)
    REFERENCES milestones (tenant_id, project_id, id) ON DELETE SET NULL (milestone_id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id) ON DELETE SET NULL (created_by)
);
CREATE UNIQUE INDEX task_templates_tenant_name ON task_templates (tenant_id, name);

CREATE TABLE task_template_assignees (
  tenant_id    uuid NOT NULL,
  template_id  uuid NOT NULL,
  user_id      uuid NOT NULL,
  PRIMARY KEY (tenant_id, template_id, user_id),
  FOREIGN KEY (tenant_id, template_id) REFERENCES task_templates (tenant_id, id) ON DELETE CASCADE,
  CONSTRAINT task_template_assignees_user_fkey FOREIGN KEY (tenant_id, user_id)
    REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX task_template_assignees_user ON task_template_assignees (tenant_id, user_id);

-- A template's files are stored once, under the template's blob prefix, and
-- copied under the task's prefix for each task created from it.
CREATE TABLE task_template_files (
  id            uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  tenant_id     uuid NOT NULL,
  template_id   uuid NOT NULL,
  filename      text NOT NULL,
  content_type  text NOT NULL,
  size_bytes    bigint NOT NULL,
  sha256        text NOT NULL,
  blob_key      text NOT NULL,
  created_by    uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, template_id) REFERENCES task_templates (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX task_template_files_template ON task_template_files (tenant_id, template_id, created_at);
