/**
 * Importing from Commusoft (its fake speaks the connector's documented,
 * unverified guesses): the import contract. Commusoft has no OAuth: the
 * login entered at connect is stored (encrypted) with the token, and a 401
 * logs in again with it.
 */
import { getCommusoftToken } from '../../connectors/commusoft';
import { COMMUSOFT_BASE_PATH, FakeCommusoft } from '../fakes/commusoft';
import { SCHEDULED_DAY, describeImportContract } from './import-contract';

const fake = new FakeCommusoft();
afterAll(() => fake.stop());

describeImportContract(async () => {
  const baseUrl = `${await fake.start()}${COMMUSOFT_BASE_PATH}`;
  return {
    provider: 'commusoft',
    fake,
    env: { COMMUSOFT_BASE_URL: baseUrl },
    async connect() {
      const login = { ...fake.credentials };
      return { credentials: { accessToken: await getCommusoftToken(baseUrl, login), refreshToken: null, login: { ...login } }, expiresAt: null };
    },
    staffEmails: ['dave@example.com', 'erin@example.com'],
    seedJobs: (n) =>
      fake.seedJobs(n).map((id) => {
        fake.records.get(id).diaryEvents[0]!.startDateTime = `${SCHEDULED_DAY}T09:00:00Z`;
        return id;
      }),
    dueAt: `${SCHEDULED_DAY}T09:00:00.000Z`,
    changeJob: (id, text) => fake.changeJob(id, { title: text.split('\n')[0]!, description: text }),
    completeJob: (id) => fake.completeJob(id),
    reopenJob: (id) => fake.reopenJob(id),
    deleteJob: (id) => fake.deleteJob(id),
    deletionNeedsFullSync: false,
    firstPageRequests: () => fake.requests.filter((r) => r.path === `${COMMUSOFT_BASE_PATH}/jobs` && r.query.page === '1').length,
  };
});
