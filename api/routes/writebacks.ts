/**
 * The writebacks API (admin): the job notes owed to FSMs, filtered by state
 * and integration (what ops look at first: `?state=failed`,
 * `?state=waiting_for_reconnect`), and "retry now" for one that is stuck.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Writeback, getWriteback, listWritebacks } from '../../db/repositories/writebacks';
import { writebackWorkflowId } from '../../domain/ids';
import { retryWriteback } from '../../temporal/writebacks';
import type { AppDeps } from '../app';
import { conflict, notFound } from '../errors';
import { requireAdmin } from '../plugins/auth';
import { IdParams, errors } from '../schemas/common';
import { ListWritebacksQuery, WritebackList, WritebackSchema } from '../schemas/writebacks';

function writebackView({ tenantId: _tenant, ...row }: Writeback) {
  return { ...row, workflowId: writebackWorkflowId(row.sessionId, row.integrationId) };
}

export const writebackRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql } = deps;
  const tags = ['writebacks'];
  const client = { sql, client: deps.temporal.client, taskQueue: deps.temporal.taskQueue, writeback: deps.config.writeback };

  app.get(
    '/writebacks',
    {
      schema: {
        tags,
        summary: 'Job-note writebacks (admin), oldest first, in keyset pages; filter by state and integration',
        querystring: ListWritebacksQuery,
        response: { 200: WritebackList, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      requireAdmin(request.principal);
      const page = await listWritebacks(sql, request.principal.tenantId, { ...request.query, limit: request.query.limit ?? 50 });
      return { items: page.items.map(writebackView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/writebacks/:id/retry',
    {
      schema: {
        tags,
        summary: 'Retry a writeback now (admin)',
        description:
          'pending, retrying or waiting_for_reconnect: the workflow tries again at once (a backoff or a wait for a reconnect ends). ' +
          'failed: back to pending (attempts kept) and a new run of writeback/<sessionId>/<integrationId>; it looks for the note on the job ' +
          'before posting, so a note that did land is not posted twice. posted or skipped: 409.',
        params: IdParams,
        response: { 202: WritebackSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      requireAdmin(request.principal);
      const row = await getWriteback(sql, request.principal.tenantId, request.params.id);
      if (!row) throw notFound('writeback');
      if (row.state === 'posted' || row.state === 'skipped') throw conflict('invalid_transition', `the writeback is ${row.state}: there is nothing to retry`);
      return reply.status(202).send(writebackView(await retryWriteback(client, row)));
    },
  );
};
