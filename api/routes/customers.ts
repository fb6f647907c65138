/**
 * Customers: every user of the tenant reads them, admins write. A customer's
 * detail carries its links and its task counts, so the customer view needs one call.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listLinkedCustomers } from '../../db/repositories/customer-links';
import { deleteCustomer, getCustomer, insertCustomer, listCustomers, updateCustomer } from '../../db/repositories/customers';
import { countTasksIn } from '../../db/repositories/task-counts';
import type { Sql } from '../../db/sql';
import type { Principal } from '../../domain/principal';
import type { AppDeps } from '../app';
import { adminDelete, adminDeleteSchema } from '../crud';
import { notFound } from '../errors';
import { requireAdmin } from '../plugins/auth';
import { CreateCustomerBody, CustomerDetail, CustomerList, ListCustomersQuery, PatchCustomerBody } from '../schemas/customers';
import { IdParams, errors } from '../schemas/common';

/** The customer with its links and task counts, own and with the linked customers'. */
export async function loadCustomerDetail(sql: Sql, p: Principal, id: string) {
  const customer = await getCustomer(sql, p.tenantId, id);
  if (!customer) throw notFound('customer');
  const links = await listLinkedCustomers(sql, p.tenantId, id);
  const [taskCounts, relatedTaskCounts] = await Promise.all([
    countTasksIn(sql, p, 'customer', [id]),
    countTasksIn(sql, p, 'customer', [id, ...links.map((l) => l.id)]),
  ]);
  return { ...customer, links, taskCounts, relatedTaskCounts };
}

export const customerRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql } = deps;
  const tags = ['customers'];

  app.get(
    '/customers',
    {
      schema: {
        tags,
        summary: 'List customers by name, in keyset pages',
        querystring: ListCustomersQuery,
        response: { 200: CustomerList, ...errors(400, 401) },
      },
    },
    async (request) => listCustomers(sql, request.principal.tenantId, { ...request.query, limit: request.query.limit ?? 50 }),
  );

  app.post(
    '/customers',
    {
      schema: {
        tags,
        summary: 'Create a customer (admin)',
        body: CreateCustomerBody,
        response: { 201: CustomerDetail, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdmin(p);
      const customer = await insertCustomer(sql, p.tenantId, request.body);
      return reply.status(201).send(await loadCustomerDetail(sql, p, customer.id));
    },
  );

  app.get(
    '/customers/:id',
    {
      schema: {
        tags,
        summary: 'One customer with its linked customers and task counts per status',
        params: IdParams,
        response: { 200: CustomerDetail, ...errors(400, 401, 404) },
      },
    },
    async (request) => loadCustomerDetail(sql, request.principal, request.params.id),
  );

  app.patch(
    '/customers/:id',
    {
      schema: {
        tags,
        summary: 'Edit a customer (admin); null clears a contact field',
        params: IdParams,
        body: PatchCustomerBody,
        response: { 200: CustomerDetail, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const p = request.principal;
      requireAdmin(p);
      if (!(await updateCustomer(sql, p.tenantId, request.params.id, request.body))) throw notFound('customer');
      return loadCustomerDetail(sql, p, request.params.id);
    },
  );

  app.delete(
    '/customers/:id',
    adminDeleteSchema(tags, 'Delete a customer (admin): its links go; its tasks, projects and templates stay, without it'),
    adminDelete('customer', (tenantId, id) => deleteCustomer(sql, tenantId, id)),
  );
};
