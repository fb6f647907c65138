/** Workflow ids are business keys, built only here, so a second start is harmless. */
export const taskWorkflowId = (taskId: string): string => `task/${taskId}`;
export const bulkWorkflowId = (tenantId: string, requestId: string): string => `bulk/${tenantId}/${requestId}`;
export const RECONCILE_SCHEDULE_ID = 'reconcile-task-workflows';
