/**
 * Seed 001's customers: CRUD, links between customer records, "Show related
 * tasks" (related=true, one hop), task counts in the detail, and the import
 * upsert the integrations use.
 */
import { randomUUID } from 'node:crypto';
import { upsertImportedCustomers } from '../../db/repositories/customers';
import { expectError } from '../helpers/api-checks';
import { type Harness, type TenantFixture, createTenantFixture, firstRow } from '../helpers/harness';
import { sorted } from '../helpers/task-api';
import { type WorkspaceApi, workspaceRows, workspaceSuite } from '../helpers/workspace-api';

let h: Harness;
let ws: WorkspaceApi;
let t: TenantFixture;
workspaceSuite((s) => ({ h, ws, t } = s));

describe('related customers', () => {
  test("a customer with a linked site sees the site's tasks with related=true and not without; one hop only", async () => {
    const company = await ws.customer(t.admin.auth, { name: 'Harbour Hotels Ltd' });
    const site = await ws.customer(t.admin.auth, { name: 'Harbour Hotels – Bristol' });
    const siteOfSite = await ws.customer(t.admin.auth, { name: 'Bristol annexe' });
    const other = await ws.customer(t.admin.auth, { name: 'Someone else' });
    await ws.link(t.admin.auth, company.id, site.id);
    // Linked from the other side: links are symmetric.
    await ws.link(t.admin.auth, siteOfSite.id, site.id);

    const task = (title: string, customerId: string) => ws.tasks.create(t.admin.auth, { title, customerId });
    const own = await task('Send the proposal', company.id);
    const atSite = await task('Fix the boiler at the site', site.id);
    const atAnnexe = await task('Annexe keys', siteOfSite.id);
    await task('Not related', other.id);

    expect(await ws.listed(t.admin.auth, { customerId: company.id })).toEqual([own.id]);
    expect(await ws.listed(t.admin.auth, { customerId: company.id, related: 'false' })).toEqual([own.id]);
    expect(sorted(await ws.listed(t.admin.auth, { customerId: company.id, related: 'true' }))).toEqual(sorted([own.id, atSite.id]));
    expect(sorted(await ws.listed(t.admin.auth, { customerId: site.id, related: 'true' }))).toEqual(
      sorted([own.id, atSite.id, atAnnexe.id]),
    );

    const detail = await ws.get(`/v1/customers/${company.id}`, t.admin.auth);
    expect(detail.links.map((l: { id: string }) => l.id)).toEqual([site.id]);
    expect(detail.taskCounts).toMatchObject({ all: 1, open: 1 });
    expect(detail.relatedTaskCounts).toMatchObject({ all: 2, open: 2 });
    // Another tenant filtering on these customers sees none of their tasks.
    const stranger = await createTenantFixture(h.sql, 'Stranger');
    expect(await ws.listed(stranger.admin.auth, { customerId: site.id, related: 'true' })).toEqual([]);
    const siteLinks = await ws.get(`/v1/customers/${site.id}/links`, t.engineer.auth);
    expect(siteLinks.items.map((l: { name: string }) => l.name)).toEqual(['Bristol annexe', 'Harbour Hotels Ltd']);

    await ws.tasks.send('DELETE', `/v1/customers/${site.id}/links/${company.id}`, t.admin.auth, 204);
    expect(await ws.listed(t.admin.auth, { customerId: company.id, related: 'true' })).toEqual([own.id]);
    await ws.tasks.send('DELETE', `/v1/customers/${site.id}/links/${company.id}`, t.admin.auth, 404);
  });

  test('links refuse the customer itself, a duplicate and a customer of another tenant, writing nothing', async () => {
    const a = await ws.customer(t.admin.auth, { name: 'A' });
    const b = await ws.customer(t.admin.auth, { name: 'B' });
    await ws.link(t.admin.auth, a.id, b.id);
    const foreign = await ws.customer((await createTenantFixture(h.sql, 'Other')).admin.auth, { name: 'Foreign' });
    const before = await workspaceRows(h, t.tenantId);

    const attempt = (customerId: string) =>
      h.app.inject({ method: 'POST', url: `/v1/customers/${a.id}/links`, headers: t.admin.auth, payload: { customerId } });
    expectError(await attempt(a.id.toUpperCase()), 400, 'bad_request', /itself/);
    expectError(await attempt(b.id), 409, 'already_linked');
    const unknown = await attempt(foreign.id);
    expectError(unknown, 400, 'unknown_reference', /customerId/);
    expect(unknown.json().details).toEqual([{ path: 'body.customerId', message: 'does not exist' }]);
    expectError(await attempt(randomUUID()), 400, 'unknown_reference', /customerId/);
    expect(await workspaceRows(h, t.tenantId)).toEqual(before);
  });
});

describe('customer CRUD', () => {
  test('admins create, edit and delete; engineers and API keys read; a deleted customer leaves its tasks', async () => {
    const created = await ws.customer(t.admin.auth, {
      name: 'Mrs Smith',
      email: 'smith@example.test',
      phone: '+44 1234 567890',
      address: '1 High Street',
    });
    expect(created).toMatchObject({
      name: 'Mrs Smith',
      email: 'smith@example.test',
      integrationId: null,
      externalId: null,
      links: [],
      taskCounts: { all: 0 },
      relatedTaskCounts: { all: 0 },
    });
    const edited = await ws.patch(`/v1/customers/${created.id}`, t.admin.auth, { phone: null, name: 'Mrs J Smith' });
    expect(edited).toMatchObject({ name: 'Mrs J Smith', phone: null, email: 'smith@example.test' });
    expect(new Date(edited.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(created.updatedAt).getTime());

    expect(await ws.get(`/v1/customers/${created.id}`, t.engineer.auth)).toMatchObject({ name: 'Mrs J Smith' });
    expect(await ws.get(`/v1/customers/${created.id}`, t.apiKey.auth)).toMatchObject({ name: 'Mrs J Smith' });
    for (const auth of [t.engineer.auth, t.apiKey.auth]) {
      for (const [method, url] of [
        ['POST', '/v1/customers'],
        ['PATCH', `/v1/customers/${created.id}`],
        ['DELETE', `/v1/customers/${created.id}`],
      ] as const) {
        const payload = method === 'DELETE' ? {} : { payload: { name: 'X' } };
        expectError(await h.app.inject({ method, url, headers: auth, ...payload }), 403, 'forbidden');
      }
    }

    const task = await ws.tasks.create(t.admin.auth, { title: 'Call back', customerId: created.id });
    await ws.tasks.send('DELETE', `/v1/customers/${created.id}`, t.admin.auth, 204);
    expect(await ws.tasks.get(t.admin.auth, task.id)).toMatchObject({ customerId: null });
    await ws.tasks.send('GET', `/v1/customers/${created.id}`, t.admin.auth, 404);
    await ws.tasks.send('DELETE', `/v1/customers/${created.id}`, t.admin.auth, 404);
  });

  test('the list is by name, searchable, in keyset pages', async () => {
    for (const name of ['Delta', 'Golf 2000', 'Alpha 100%', 'Charlie', 'Bravo', 'Echo']) await ws.customer(t.admin.auth, { name });
    const names = (page: { items: { name: string }[] }) => page.items.map((c) => c.name);
    const first = await ws.get('/v1/customers', t.engineer.auth, { limit: '2' });
    expect(names(first)).toEqual(['Alpha 100%', 'Bravo']);
    const second = await ws.get('/v1/customers', t.engineer.auth, { limit: '2', cursor: first.nextCursor });
    expect(names(second)).toEqual(['Charlie', 'Delta']);
    const third = await ws.get('/v1/customers', t.engineer.auth, { limit: '2', cursor: second.nextCursor });
    expect(names(third)).toEqual(['Echo', 'Golf 2000']);
    expect(third.nextCursor).toBeNull();
    expect(names(await ws.get('/v1/customers', t.engineer.auth, { q: 'hARL' }))).toEqual(['Charlie']);
    // The wildcard is a character like any other: "0%" is not "a 0 then anything".
    expect(names(await ws.get('/v1/customers', t.engineer.auth, { q: '0%' }))).toEqual(['Alpha 100%']);
    expectError(await h.app.inject({ url: '/v1/customers?cursor=bm9wZQ', headers: t.admin.auth }), 400, 'invalid_cursor');
  });

  test("the detail's task counts leave out private tasks the caller may not see", async () => {
    const customer = await ws.customer(t.admin.auth);
    await ws.tasks.create(t.admin.auth, { title: 'Public', customerId: customer.id });
    await ws.tasks.create(t.admin.auth, { title: 'Private', customerId: customer.id, private: true });
    expect((await ws.get(`/v1/customers/${customer.id}`, t.admin.auth)).taskCounts).toMatchObject({ all: 2 });
    expect((await ws.get(`/v1/customers/${customer.id}`, t.engineer.auth)).taskCounts).toMatchObject({ all: 1 });
  });
});

describe('imported customers', () => {
  test('an import creates customers once per external id, renames them, and returns their ids', async () => {
    const integration = await firstRow(
      h.sql<{ id: string }[]>`INSERT INTO integrations (tenant_id, provider) VALUES (${t.tenantId}, 'jobber') RETURNING id`,
    );
    const first = await upsertImportedCustomers(h.sql, t.tenantId, integration.id, [
      { externalId: 'c-1', name: 'Acme' },
      { externalId: 'c-2', name: 'Globex' },
    ]);
    const again = await upsertImportedCustomers(h.sql, t.tenantId, integration.id, [{ externalId: 'c-1', name: 'Acme Ltd' }]);
    expect(again.get('c-1')).toBe(first.get('c-1'));
    const acme = await ws.get(`/v1/customers/${first.get('c-1')}`, t.admin.auth);
    expect(acme).toMatchObject({ name: 'Acme Ltd', integrationId: integration.id, externalId: 'c-1' });
    expect(await ws.get(`/v1/customers/${first.get('c-2')}`, t.admin.auth)).toMatchObject({ name: 'Globex', externalId: 'c-2' });
  });
});
