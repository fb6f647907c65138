/**
 * Drives a session through the task's lifecycle workflow the way the
 * Sessions API does (start_session, the device's staged recording, then
 * complete_session), which starts the session's pipeline `session/<id>`;
 * and makes tasks imported from an integration, for the writeback step.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { WorkflowHandle } from '@temporalio/client';
import { loadConfig } from '../../config';
import { createConnectorRegistry } from '../../connectors/registry';
import { CredentialCipher } from '../../db/crypto';
import { createIntegration, saveCredentials } from '../../db/repositories/integrations';
import { insertTasks } from '../../db/repositories/tasks';
import { sessionWorkflowId } from '../../domain/ids';
import type { SessionOutcome } from '../../domain/session';
import { executeTaskCommand } from '../../temporal/task-commands';
import { ensureTaskWorkflows } from '../../temporal/task-workflows';
import type { sessionPipelineWorkflow } from '../../workflows/session-pipeline';
import type { FakeServiceM8 } from '../fakes/servicem8';
import type { Harness, TenantFixture } from '../helpers/harness';
import { taskApi } from '../helpers/task-api';
import { oauthCredentials, servicem8Env } from '../integrations/import-helpers';

export const OUTCOME: SessionOutcome = {
  score: 92,
  durationSeconds: 1830,
  stepsCompleted: 3,
  toolsUsed: ['torque wrench', 'leak detector'],
  notes: 'Seal replaced; customer informed.',
  transcript: 'Engineer: arriving on site\nStep 1: isolate the unit\nStep 2: replace the seal\nThen run a leak test',
};

export interface CompletedSession {
  taskId: string;
  sessionId: string;
  stagingKey: string | null;
  pipeline: WorkflowHandle<typeof sessionPipelineWorkflow>;
}

/** A session on the task (a new one unless `taskId` is given) with an optional staged recording, completed: its pipeline is running. */
export async function completeSession(
  h: Harness,
  t: TenantFixture,
  opts: { recording?: Buffer; outcome?: SessionOutcome; taskId?: string } = {},
): Promise<CompletedSession> {
  const task = opts.taskId ? { id: opts.taskId } : await taskApi(h).create(t.admin.auth, { title: 'Replace pump seal', description: 'Unit 4 leaks at the pump' });
  const sessionId = randomUUID();
  const actor = { actor: { kind: 'user' as const, id: t.engineer.id } };
  const send = async (command: Parameters<typeof executeTaskCommand>[4]) => {
    const outcome = await executeTaskCommand(h.sql, h.temporal, t.tenantId, task.id, command, actor, `${command.kind}:${sessionId}`);
    if (!outcome.ok) throw new Error(`${command.kind}: ${outcome.message}`);
  };
  await send({ kind: 'start_session', sessionId, engineerId: t.engineer.id, idleTimeoutSeconds: 3600 });
  let stagingKey: string | null = null;
  if (opts.recording) {
    // Where the device's upload lands before the pipeline moves it (outside the task's prefix on purpose).
    stagingKey = `staging/${t.tenantId}/${sessionId}/recording`;
    await h.blobs.put(stagingKey, Readable.from([opts.recording]));
    await h.sql`UPDATE sessions SET recording_key = ${stagingKey}, recording_size_bytes = ${opts.recording.length} WHERE id = ${sessionId}`;
  }
  await send({ kind: 'complete_session', sessionId, outcome: opts.outcome ?? OUTCOME });
  return { taskId: task.id, sessionId, stagingKey, pipeline: h.client.workflow.getHandle(sessionWorkflowId(sessionId)) };
}

export interface PipelineRow {
  pipelineState: string | null;
  pipelineSkipped: string[];
  recordingKey: string | null;
  recordingSizeBytes: string | null;
  summary: string | null;
  procedures: unknown;
}

export async function pipelineRow(h: Harness, sessionId: string): Promise<PipelineRow> {
  const [row] = await h.sql<PipelineRow[]>`
    SELECT pipeline_state, pipeline_skipped, recording_key, recording_size_bytes, summary, procedures FROM sessions WHERE id = ${sessionId}`;
  if (!row) throw new Error(`no session ${sessionId}`);
  return row;
}

/** The task's session.completed events' data. */
export async function sessionCompletedEvents(h: Harness, taskId: string): Promise<Record<string, unknown>[]> {
  const rows = await h.sql<{ data: Record<string, unknown> }[]>`
    SELECT data FROM task_events WHERE task_id = ${taskId} AND type = 'session.completed' ORDER BY created_at, id`;
  return rows.map((r) => r.data);
}

/** The bytes of a blob, or null when it does not exist. */
export async function blobBytes(h: Harness, key: string): Promise<Buffer | null> {
  const stream = await h.blobs.get(key);
  if (!stream) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A task imported from a connected ServiceM8 integration (its fake), whose
 * integration takes job notes (`both`) or not (`import`).
 */
export async function integrationTask(h: Harness, t: TenantFixture, fake: FakeServiceM8, syncDirection: 'import' | 'both') {
  const integration = await createIntegration(h.sql, t.tenantId, { provider: 'servicem8', displayName: 'SM8', syncDirection, settings: {} });
  const { credentials, expiresAt } = await oauthCredentials(createConnectorRegistry(h.config.fsm), integration);
  await saveCredentials(h.sql, new CredentialCipher(h.config.credentialsKey), t.tenantId, integration.id, credentials, expiresAt);
  const [jobId] = fake.seedJobs(1);
  const [task] = await insertTasks(h.sql, t.tenantId, [
    { title: 'Replace pump seal', source: 'integration', integrationId: integration.id, sourceProvider: 'servicem8', externalJobId: jobId! },
  ]);
  await ensureTaskWorkflows(h.sql, h.temporal, [task!]);
  return { integrationId: integration.id, jobId: jobId!, taskId: task!.id };
}

/** Harness settings that point ServiceM8 at its fake, listening at `url`. */
export const servicem8Config = (fake: FakeServiceM8, url: string) => ({ fsm: loadConfig({ NODE_ENV: 'test', ...servicem8Env(fake, url) }).fsm });
