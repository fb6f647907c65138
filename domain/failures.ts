/** ApplicationFailure type names: workflows throw them, the API maps them to HTTP statuses. */
export const FailureType = {
  /** The lifecycle state machine refused the transition (HTTP 409). */
  InvalidTransition: 'InvalidTransition',
  /** The task row is gone (HTTP 404). */
  TaskNotFound: 'TaskNotFound',
} as const;
