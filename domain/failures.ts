import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

/** ApplicationFailure type names: workflows throw them, the API maps them to HTTP statuses. */
export const FailureType = {
  /** The lifecycle state machine refused the transition (HTTP 409). */
  InvalidTransition: 'InvalidTransition',
  /** The task row is gone (HTTP 404). */
  TaskNotFound: 'TaskNotFound',
} as const;

/**
 * The ApplicationFailure an activity failed with (its type says why), if
 * `err` is such an activity's failure: a regular activity's arrives wrapped
 * in an ActivityFailure, a local activity's as the activity threw it. So a
 * bare ApplicationFailure counts too: call this only on what an activity
 * call threw, not on errors from workflow code.
 */
export function activityFailureCause(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : undefined;
}
