/**
 * Provisioning (npm run admin): each command's JSON, and that the tokens it
 * prints authenticate with the role they were made for, and stop when revoked.
 */
import { createHash } from 'node:crypto';
import { runAdminCommand } from '../../scripts/admin';
import { type Harness, firstRow, startHarness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

const whoCanCreate = async (token: string) =>
  (await h.app.inject({ method: 'POST', url: '/v1/tasks', headers: { authorization: `Bearer ${token}` }, payload: { title: 'Provisioned' } }))
    .statusCode;

test('tenant:create, user:create, token:create and token:revoke', async () => {
  const tenant = (await runAdminCommand(h.sql, 'tenant:create', { name: 'Acme Heating', 'admin-email': 'ada@acme.test' })) as {
    tenantId: string;
    adminUserId: string;
    adminToken: string;
  };
  expect(tenant).toEqual({ tenantId: expect.any(String), adminUserId: expect.any(String), adminToken: expect.stringMatching(/^th_/) });
  expect(await whoCanCreate(tenant.adminToken)).toBe(201);

  const engineer = (await runAdminCommand(h.sql, 'user:create', {
    tenant: tenant.tenantId,
    email: 'eddie@acme.test',
    name: 'Eddie',
    role: 'engineer',
  })) as { userId: string; token: string };
  expect(await whoCanCreate(engineer.token)).toBe(403);

  const key = (await runAdminCommand(h.sql, 'token:create', { tenant: tenant.tenantId, name: 'erp' })) as { tokenId: string; token: string };
  expect(await whoCanCreate(key.token)).toBe(201);

  // Only the token's SHA-256 is stored.
  const stored = await firstRow(h.sql<{ tokenHash: Buffer }[]>`SELECT token_hash FROM api_tokens WHERE id = ${key.tokenId}`);
  expect(stored.tokenHash).toEqual(createHash('sha256').update(key.token).digest());

  expect(await runAdminCommand(h.sql, 'token:revoke', { tenant: tenant.tenantId, 'token-id': key.tokenId })).toEqual({ revoked: true });
  expect(await whoCanCreate(key.token)).toBe(401);
  expect(await runAdminCommand(h.sql, 'token:revoke', { tenant: tenant.tenantId, 'token-id': key.tokenId })).toEqual({ revoked: false });
});

test('usage errors say what is missing or wrong', async () => {
  await expect(runAdminCommand(h.sql, 'tenant:create', {})).rejects.toThrow('--name is required');
  await expect(
    runAdminCommand(h.sql, 'user:create', { tenant: crypto.randomUUID(), email: 'x@y.z', name: 'X', role: 'owner' }),
  ).rejects.toThrow('--role must be admin or engineer');
  await expect(runAdminCommand(h.sql, 'nope', {})).rejects.toThrow('unknown command "nope"');
});
