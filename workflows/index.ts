// The workflows the worker registers: each function's name is its workflow type.
export { taskLifecycleWorkflow } from './task-lifecycle';
export { bulkTaskActionWorkflow } from './bulk-task-action';
export { reconcileTaskWorkflowsWorkflow } from './reconcile-task-workflows';
export { integrationSyncWorkflow } from './integration-sync';
export { scheduledIntegrationSyncWorkflow } from './scheduled-integration-sync';
export { sessionPipelineWorkflow } from './session-pipeline';
export { writebackWorkflow } from './writeback';
export { reconcileIntegrationSchedulesWorkflow } from './reconcile-integration-schedules';
