/**
 * Importing from a Simpro build (its fake follows fsm-apis.md §2 to the
 * letter): the import contract, with OAuth2 through the fake. The
 * integration names its build; the fake's origin stands in for
 * https://{build}.simprosuite.com, so every URL comes from the build.
 */
import { FakeSimpro, SIMPRO_API_PREFIX } from '../fakes/simpro';
import { SCHEDULED_DAY, describeImportContract } from './import-contract';
import { oauthCredentials } from './import-helpers';

const fake = new FakeSimpro();
afterAll(() => fake.stop());

describeImportContract(async () => {
  const build = await fake.start();
  return {
    provider: 'simpro',
    fake,
    env: { SIMPRO_CLIENT_ID: fake.clientId, SIMPRO_CLIENT_SECRET: fake.clientSecret },
    settings: { build },
    connect: oauthCredentials,
    staffEmails: ['ann.lee@example.com', 'bo.chan@example.com', 'cy.diaz@example.com', 'di.evans@example.com', 'ed.fox@example.com'],
    seedJobs: (n) =>
      fake.seedJobs(n).map((id) => {
        fake.jobs.get(id)!.DueDate = SCHEDULED_DAY;
        return String(id);
      }),
    dueAt: `${SCHEDULED_DAY}T00:00:00.000Z`,
    changeJob: (id, text) => fake.changeJob(Number(id), { Name: text.split('\n')[0], Description: `<p>${text.replace(/\n/g, '</p><p>')}</p>` }),
    completeJob: (id) => fake.completeJob(Number(id)),
    reopenJob: (id) => fake.reopenJob(Number(id)),
    deleteJob: (id) => fake.deleteJob(Number(id)),
    deletionNeedsFullSync: true,
    firstPageRequests: () => fake.requests.filter((r) => r.path === `${SIMPRO_API_PREFIX}/companies/0/jobs/` && r.query.page === '1').length,
  };
});
