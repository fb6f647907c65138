/**
 * Links between customer records (a parent company and its sites): what
 * GET /v1/tasks?customerId=…&related=true follows, one hop. Symmetric: a
 * link made from either customer shows on both.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { linkCustomers, listLinkedCustomers, unlinkCustomers } from '../../db/repositories/customer-links';
import { getCustomer } from '../../db/repositories/customers';
import type { AppDeps } from '../app';
import { badRequest, conflict, notFound } from '../errors';
import { requireAdmin } from '../plugins/auth';
import { IdParams, errors } from '../schemas/common';
import { LinkBody, LinkParams, LinkedCustomerList } from '../schemas/customers';

export const customerLinkRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql } = deps;
  const tags = ['customers'];

  async function requireCustomer(tenantId: string, id: string) {
    if (!(await getCustomer(sql, tenantId, id))) throw notFound('customer');
  }

  app.get(
    '/customers/:id/links',
    {
      schema: {
        tags,
        summary: 'The customers linked to this one',
        params: IdParams,
        response: { 200: LinkedCustomerList, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      await requireCustomer(tenantId, request.params.id);
      return { items: await listLinkedCustomers(sql, tenantId, request.params.id) };
    },
  );

  app.post(
    '/customers/:id/links',
    {
      schema: {
        tags,
        summary: 'Link another customer to this one (admin); returns the links',
        params: IdParams,
        body: LinkBody,
        response: { 201: LinkedCustomerList, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdmin(p);
      const { id } = request.params;
      const other = request.body.customerId;
      await requireCustomer(p.tenantId, id);
      if (other.toLowerCase() === id.toLowerCase()) {
        throw badRequest('a customer cannot be linked to itself', [{ path: 'body.customerId', message: 'is the customer itself' }]);
      }
      // A customer of another tenant fails the link's composite foreign key: 400 naming customerId.
      if (!(await linkCustomers(sql, p.tenantId, id, other))) throw conflict('already_linked', 'these customers are already linked');
      return reply.status(201).send({ items: await listLinkedCustomers(sql, p.tenantId, id) });
    },
  );

  app.delete(
    '/customers/:id/links/:customerId',
    {
      schema: {
        tags,
        summary: 'Unlink two customers (admin)',
        params: LinkParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdmin(p);
      const { id, customerId } = request.params;
      if (!(await unlinkCustomers(sql, p.tenantId, id, customerId))) throw notFound('customer link');
      return reply.status(204).send(null);
    },
  );
};
