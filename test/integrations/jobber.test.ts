/**
 * Importing from Jobber (its fake validates and executes every GraphQL
 * document against Jobber's own schema): the import contract, with OAuth2
 * through the fake (rotating refresh tokens, JWT access tokens).
 */
import { JOBBER_DEFAULTS } from '../../connectors/jobber';
import { onFake } from '../connectors/connector-contract';
import { FakeJobber, JOBBER_STAFF, loadJobberSchema } from '../fakes/jobber';
import { SCHEDULED_DAY, describeImportContract } from './import-contract';
import { oauthCredentials } from './import-helpers';

// A query-cost bucket that 2,000-job listings do not empty; the throttling test drains it.
const fake = new FakeJobber({ schema: loadJobberSchema(), queryBudget: { maximumAvailable: 1_000_000, restoreRate: 50_000 } });
afterAll(() => fake.stop());

describeImportContract(async () => {
  const url = await fake.start();
  return {
    provider: 'jobber',
    fake,
    env: {
      JOBBER_CLIENT_ID: fake.clientId,
      JOBBER_CLIENT_SECRET: fake.clientSecret,
      JOBBER_BASE_URL: onFake(JOBBER_DEFAULTS.baseUrl, url),
      JOBBER_AUTHORIZE_URL: onFake(JOBBER_DEFAULTS.authorizeUrl, url),
      JOBBER_TOKEN_URL: onFake(JOBBER_DEFAULTS.tokenUrl, url),
    },
    connect: oauthCredentials,
    staffEmails: JOBBER_STAFF,
    seedJobs: (n) =>
      fake.seedJobs(n).map((id) => {
        const job = fake.records.get(id);
        job.startAt = job.visits[0]!.startAt = `${SCHEDULED_DAY}T09:00:00Z`;
        return id;
      }),
    dueAt: `${SCHEDULED_DAY}T09:00:00.000Z`,
    changeJob: (id, text) => fake.changeJob(id, { title: text.split('\n')[0]!, instructions: text }),
    completeJob: (id) => fake.completeJob(id),
    reopenJob: (id) => fake.reopenJob(id),
    deleteJob: (id) => fake.deleteJob(id),
    deletionNeedsFullSync: true,
    firstPageRequests: () =>
      fake.requests.filter((r) => {
        const body = r.body as { query?: string; variables?: { after?: string | null } } | undefined;
        return r.path === '/api/graphql' && body?.query?.includes('TaskHubChangedJobs') && !body.variables?.after;
      }).length,
  };
});
