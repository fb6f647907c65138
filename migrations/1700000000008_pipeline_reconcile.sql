-- Up Migration
-- The reconciler's scan for completed sessions whose pipeline never started
-- (activities/maintenance-activities.ts startMissingSessionPipelines):
-- across tenants on purpose, and only over the few rows still pending.
CREATE INDEX sessions_pipeline_pending ON sessions (ended_at) WHERE status = 'completed' AND pipeline_state = 'pending';
