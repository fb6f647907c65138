import { type IntegrationSyncDeps, createIntegrationSyncActivities } from './integration-sync';
import { createSessionActivities } from './session-activities';
import { createSessionPipelineActivities } from './session-pipeline';
import { type MaintenanceActivityDeps, createMaintenanceActivities } from './maintenance-activities';
import { type TaskActivityDeps, createTaskActivities } from './task-activities';
import { createWritebackActivities } from './writeback-activities';

import type { Config } from '../config';

/** `config` carries the session, writeback and AI settings the pipeline's activities read. */
export type ActivityDeps = TaskActivityDeps & MaintenanceActivityDeps & IntegrationSyncDeps & { config: Config };

/** Every activity the worker registers, built from its dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createTaskActivities(deps),
    ...createMaintenanceActivities(deps),
    ...createIntegrationSyncActivities(deps),
    ...createSessionActivities(deps),
    ...createSessionPipelineActivities(deps),
    ...createWritebackActivities(deps),
  };
}
