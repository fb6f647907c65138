/**
 * Importing from ServiceM8 (its fake checks every request against the
 * vendor's OpenAPI): the import contract, with OAuth2 through the fake.
 */
import { FakeServiceM8 } from '../fakes/servicem8';
import { SCHEDULED_DAY, describeImportContract } from './import-contract';
import { oauthCredentials, servicem8Env } from './import-helpers';

const fake = new FakeServiceM8();
afterAll(() => fake.stop());

describeImportContract(async () => {
  // ServiceM8 pages hold 5,000 records; 500 gives the 2,000 jobs several pages.
  fake.pageSize = 500;
  const url = await fake.start();
  return {
    provider: 'servicem8',
    fake,
    env: servicem8Env(fake, url),
    connect: oauthCredentials,
    staffEmails: ['ann.lee@example.com', 'bo.chan@example.com', 'cy.diaz@example.com', 'di.evans@example.com', 'ed.fox@example.com'],
    seedJobs: (n) => {
      const ids = fake.seedJobs(n);
      for (const booking of fake.activities.values()) booking.start_date = `${SCHEDULED_DAY} 08:30:00`;
      return ids;
    },
    dueAt: `${SCHEDULED_DAY}T08:30:00.000Z`,
    changeJob: (id, text) => fake.changeJob(id, { job_description: text }),
    completeJob: (id) => fake.completeJob(id),
    reopenJob: (id) => fake.reopenJob(id),
    deleteJob: (id) => fake.deleteJob(id),
    deletionNeedsFullSync: false,
    firstPageRequests: () => fake.requests.filter((r) => r.path.endsWith('/job.json') && r.query.cursor === '-1').length,
  };
});
