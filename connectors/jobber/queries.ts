/**
 * Every GraphQL document the Jobber connector sends. Each field and argument
 * was checked against Jobber's own introspection (API version 2022-03-10,
 * ../shared/vendor/jobber-graphql-schema-2022-03-10.json); the tests validate
 * every document sent against that schema with graphql-js.
 *
 * Not selected on purpose: `totalCount` (Jobber: "raises the likelihood you
 * will be throttled"), and anything the mapping does not use, since each
 * selected field adds to the query cost.
 */

/**
 * The fields a task needs. Assigned staff and schedule live on visits
 * (fsm-apis.md §3.3); `Visit.assignedUsers` and `Job.visits` are Relay
 * connections, so their sizes are variables that count towards query cost.
 */
const JOB_FIELDS = /* GraphQL */ `
  fragment TaskHubJob on Job {
    id
    jobNumber
    title
    instructions
    jobStatus
    updatedAt
    startAt
    completedAt
    client { id name companyName }
    property { address { street1 street2 city province postalCode country } }
    visits(first: $visits) {
      nodes {
        startAt
        isComplete
        assignedUsers(first: $users) { nodes { email { raw } } }
      }
    }
  }
`;

/**
 * Jobs newest-change first. The 2022 `JobFilterAttributes` has no `updatedAt`
 * filter, so the connector sorts by `UPDATED_AT` descending and stops paging
 * at the caller's `since` (see listChangedJobs in index.ts for why).
 */
export const CHANGED_JOBS = /* GraphQL */ `
  query TaskHubChangedJobs($first: Int!, $after: String, $visits: Int!, $users: Int!) {
    jobs(first: $first, after: $after, sort: [{ key: UPDATED_AT, direction: DESCENDING }]) {
      nodes { ...TaskHubJob }
      pageInfo { hasNextPage endCursor }
    }
  }
  ${JOB_FIELDS}
`;

export const JOB = /* GraphQL */ `
  query TaskHubJob($id: EncodedId!, $visits: Int!, $users: Int!) {
    job(id: $id) { ...TaskHubJob }
  }
  ${JOB_FIELDS}
`;

/** fsm-apis.md §3.4: the mutation and payload, as in Jobber's schema. */
export const CREATE_JOB_NOTE = /* GraphQL */ `
  mutation TaskHubCreateJobNote($jobId: EncodedId!, $input: JobCreateNoteInput!) {
    jobCreateNote(jobId: $jobId, input: $input) {
      jobNote { id message createdAt }
      userErrors { message path }
    }
  }
`;

/** A job's notes are the `Job.notes` connection (JobNoteConnection of JobNote). */
export const JOB_NOTES = /* GraphQL */ `
  query TaskHubJobNotes($id: EncodedId!, $first: Int!, $after: String) {
    job(id: $id) {
      id
      notes(first: $first, after: $after) {
        nodes { id message createdAt }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

/** The account the token belongs to (`Query.account`): Jobber's webhooks name it as `accountId`. */
export const ACCOUNT = /* GraphQL */ `
  query TaskHubAccount {
    account { id }
  }
`;
