/**
 * Starting a completed session's pipeline (`session/<sessionId>`,
 * workflows/session-pipeline.ts): by the task lifecycle's local activity
 * right after the completion is recorded, and by the reconciler for a
 * session whose pipeline never started. The id is never reused, so the
 * pipeline runs once whoever starts it, however often.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { sessionWorkflowId } from '../domain/ids';
import { taskSearchAttributes } from '../domain/search-attributes';
import type { SessionPipelineInput } from '../domain/session';
import type { sessionPipelineWorkflow } from '../workflows/session-pipeline';
import type { TaskWorkflowDeps } from './task-workflows';

/** Starts the pipeline; false when it had been started before (running or closed). */
export async function startSessionPipeline(deps: Pick<TaskWorkflowDeps, 'client' | 'taskQueue'>, input: SessionPipelineInput): Promise<boolean> {
  try {
    await deps.client.workflow.start<typeof sessionPipelineWorkflow>('sessionPipelineWorkflow', {
      workflowId: sessionWorkflowId(input.sessionId),
      taskQueue: deps.taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: taskSearchAttributes(input.tenantId, input.taskId),
    });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}
