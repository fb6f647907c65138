/**
 * Bearer-token authentication for /v1, and the role checks routes use.
 * Roles as seed 000 says: edit, delete and bulk are admin actions; creating
 * tasks is for admins and for a tenant API key, which acts as the tenant's
 * developer integration (create, batch, attachments, lifecycle commands).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { findPrincipal } from '../../db/repositories/accounts';
import type { Sql } from '../../db/sql';
import type { Principal } from '../../domain/principal';
import { HttpError, forbidden } from '../errors';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

const unauthorized = (message: string) => new HttpError(401, 'unauthorized', message);

export const authPlugin = fp(async (app: FastifyInstance, opts: { sql: Sql }) => {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    if (!header) throw unauthorized('missing Authorization: Bearer <token>');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw unauthorized('Authorization must be "Bearer <token>"');
    const principal = await findPrincipal(opts.sql, match[1]!);
    if (!principal) throw unauthorized('token is not valid');
    request.principal = principal;
  });
});

export function requireAdmin(p: Principal): void {
  if (p.role !== 'admin') throw forbidden('only a tenant admin may do this');
}

export function requireAdminOrApiKey(p: Principal): void {
  if (p.role !== 'admin' && p.kind !== 'api_key') throw forbidden('only a tenant admin or an API key may do this');
}

export function requireUser(p: Principal): string {
  if (!p.userId) throw forbidden('this needs a user token, not an API key');
  return p.userId;
}
