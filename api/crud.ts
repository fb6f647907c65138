/**
 * The shape the workspace resources (customers, projects, milestones, task
 * templates) share for deletion: admin only, 204, or 404 naming the resource.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from './errors';
import { requireAdmin } from './plugins/auth';
import { IdParams, errors } from './schemas/common';

export function adminDeleteSchema(tags: string[], summary: string) {
  return { schema: { tags, summary, params: IdParams, response: { 204: Type.Null(), ...errors(400, 401, 403, 404) } } };
}

/** The handler: `remove` returns false when the tenant has no such row. */
export function adminDelete(what: string, remove: (tenantId: string, id: string) => Promise<boolean>) {
  return async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const p = request.principal;
    requireAdmin(p);
    if (!(await remove(p.tenantId, request.params.id))) throw notFound(what);
    return reply.status(204).send(null);
  };
}
