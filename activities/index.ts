import { type IntegrationSyncDeps, createIntegrationSyncActivities } from './integration-sync';
import { type MaintenanceActivityDeps, createMaintenanceActivities } from './maintenance-activities';
import { type TaskActivityDeps, createTaskActivities } from './task-activities';

export type ActivityDeps = TaskActivityDeps & MaintenanceActivityDeps & IntegrationSyncDeps;

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return { ...createTaskActivities(deps), ...createMaintenanceActivities(deps), ...createIntegrationSyncActivities(deps) };
}
