/** Workflow ids are business keys, built only here, so a second start is harmless. */
export const taskWorkflowId = (taskId: string): string => `task/${taskId}`;
export const bulkWorkflowId = (tenantId: string, requestId: string): string => `bulk/${tenantId}/${requestId}`;
export const RECONCILE_SCHEDULE_ID = 'reconcile-task-workflows';
/** One import at a time per integration: schedule, webhooks and "sync now" all start (or join) this id. */
export const syncWorkflowId = (integrationId: string): string => `sync/${integrationId}`;
export const syncScheduleId = (integrationId: string): string => `sync-schedule/${integrationId}`;
/** Creates the sync schedules Temporal did not take when their integrations were connected. */
export const RECONCILE_INTEGRATIONS_SCHEDULE_ID = 'reconcile-integration-schedules';
/** The post-session pipeline of one session: started once, by the task's workflow, when the session completes. */
export const sessionWorkflowId = (sessionId: string): string => `session/${sessionId}`;
/** One job note per session and integration. */
export const writebackWorkflowId = (sessionId: string, integrationId: string): string => `writeback/${sessionId}/${integrationId}`;
