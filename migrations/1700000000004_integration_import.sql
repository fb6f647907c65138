-- Up Migration
-- The import side of FSM integrations (workflows/integration-sync.ts,
-- db/repositories/imported-tasks.ts).
ALTER TABLE tasks
  -- What the last import saw of the job and wrote to the task:
  -- {title, description, dueAt, customerId, assigneeIds, status, deleted, updatedAt}.
  -- A field is the FSM's to change only while the task still holds the value
  -- written here; once someone edits it, imports leave it alone (domain/import-plan.ts).
  ADD COLUMN imported jsonb,
  -- A lifecycle command the import owes the task's workflow, written in the
  -- transaction that saw the FSM's change and cleared once delivered, so a
  -- crash in between delivers it on the next attempt.
  ADD COLUMN import_effect text CHECK (import_effect IN ('complete', 'cancel'));
CREATE INDEX tasks_import_effect ON tasks (tenant_id, integration_id) WHERE import_effect IS NOT NULL;

-- The jobs a full listing has returned so far. When it ends, the
-- integration's live tasks whose job is not among them are looked up one by
-- one: Simpro and Jobber drop a deleted job from their lists instead of
-- flagging it. Rows live as long as their listing.
CREATE TABLE integration_listing_jobs (
  tenant_id        uuid NOT NULL,
  integration_id   uuid NOT NULL,
  listing_id       uuid NOT NULL,
  external_job_id  text NOT NULL,
  PRIMARY KEY (tenant_id, integration_id, listing_id, external_job_id),
  FOREIGN KEY (tenant_id, integration_id) REFERENCES integrations (tenant_id, id) ON DELETE CASCADE
);
