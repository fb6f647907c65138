/**
 * The client side of job-note writebacks (workflows/writeback.ts): what
 * integration changes tell the waiting workflows (a reconnect, writeback
 * turned off, a disconnect), and an operator's "retry now". Signals to a
 * workflow that has closed, or never started, are ignored: the workflow
 * reads the integration itself before every try, so nothing depends on one
 * signal arriving.
 */
import { type Client, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import pMap from 'p-map';
import type { WritebackConfig } from '../config';
import { type Writeback, getWriteback, resetFailedWriteback, writebacksInStates } from '../db/repositories/writebacks';
import type { Sql } from '../db/sql';
import { writebackWorkflowId } from '../domain/ids';
import {
  FINAL_WRITEBACK_STATES,
  WRITEBACK_STATES,
  type WritebackInput,
  integrationReconnectedSignal,
  retryWritebackNowSignal,
  writebackDisabledSignal,
} from '../domain/session';
import type { writebackWorkflow } from '../workflows/writeback';

/** The states whose workflow is still running and may want to hear about its integration. */
const OPEN_STATES = WRITEBACK_STATES.filter((s) => !FINAL_WRITEBACK_STATES.includes(s));

export interface WritebackClientDeps {
  sql: Sql;
  client: Client;
  taskQueue: string;
  writeback: WritebackConfig;
}

/** The workflow's input for a writebacks row: ids and settings only, never credentials. */
export function writebackInputOf(row: Writeback, settings: WritebackConfig): WritebackInput {
  return {
    tenantId: row.tenantId,
    taskId: row.taskId,
    sessionId: row.sessionId,
    integrationId: row.integrationId,
    writebackId: row.id,
    provider: row.provider,
    externalJobId: row.externalJobId,
    maxBackoffSeconds: settings.maxBackoffSeconds,
    deadlineSeconds: settings.deadlineSeconds,
    attemptTimeoutSeconds: settings.attemptTimeoutSeconds,
  };
}

/** Signals the writeback's workflow; false when it is not running. */
async function signal(client: Client, row: Writeback, def: SignalDefinition): Promise<boolean> {
  try {
    await client.workflow.getHandle(writebackWorkflowId(row.sessionId, row.integrationId)).signal(def);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Tells the integration's open writebacks what changed: `reconnected` (new
 * credentials: try again now) or `disabled` (writeback turned off, or the
 * integration disconnected: end as skipped unless already posted).
 */
export async function notifyWritebacks(deps: Pick<WritebackClientDeps, 'sql' | 'client'>, tenantId: string, integrationId: string, change: 'reconnected' | 'disabled'): Promise<void> {
  const rows = await writebacksInStates(deps.sql, tenantId, integrationId, OPEN_STATES);
  const def = change === 'reconnected' ? integrationReconnectedSignal : writebackDisabledSignal;
  await pMap(rows, (row) => signal(deps.client, row, def), { concurrency: 8 });
}

/**
 * Starts a new run of the writeback's workflow. A run still open under the
 * id (one that is about to end) is terminated first: safe even mid-post,
 * since the new run looks for the note on the job before posting it.
 */
async function startRun(deps: WritebackClientDeps, row: Writeback): Promise<void> {
  await deps.client.workflow.start<typeof writebackWorkflow>('writebackWorkflow', {
    workflowId: writebackWorkflowId(row.sessionId, row.integrationId),
    taskQueue: deps.taskQueue,
    args: [writebackInputOf(row, deps.writeback)],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
  });
}

/**
 * "Retry now" (POST /v1/writebacks/:id/retry) on a writeback that is not
 * posted or skipped. An open one is woken (a backoff or a wait for a
 * reconnect ends at once); one whose workflow is gone (terminated by hand)
 * gets a new run. A failed one goes back to pending, its attempts kept, and
 * gets a new run. Returns the row as it now stands.
 */
export async function retryWriteback(deps: WritebackClientDeps, row: Writeback): Promise<Writeback> {
  if (row.state === 'failed') {
    const reset = await resetFailedWriteback(deps.sql, row.tenantId, row.id);
    if (reset) await startRun(deps, reset);
  } else if (!(await signal(deps.client, row, retryWritebackNowSignal))) {
    await startRun(deps, row);
  }
  return (await getWriteback(deps.sql, row.tenantId, row.id)) ?? row;
}
