/**
 * One milestone: read by every user of the tenant, edited and deleted by
 * admins. Created under its project (POST /v1/projects/:id/milestones).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { deleteMilestone, getMilestone, updateMilestone } from '../../db/repositories/milestones';
import { countTasksIn } from '../../db/repositories/task-counts';
import type { Sql } from '../../db/sql';
import type { Principal } from '../../domain/principal';
import type { AppDeps } from '../app';
import { adminDelete, adminDeleteSchema } from '../crud';
import { notFound } from '../errors';
import { requireAdmin } from '../plugins/auth';
import { IdParams, errors } from '../schemas/common';
import { MilestoneDetail, PatchMilestoneBody } from '../schemas/projects';

async function loadMilestoneDetail(sql: Sql, p: Principal, id: string) {
  const milestone = await getMilestone(sql, p.tenantId, id);
  if (!milestone) throw notFound('milestone');
  return { ...milestone, taskCounts: await countTasksIn(sql, p, 'milestone', [id]) };
}

export const milestoneRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql } = deps;
  const tags = ['projects'];

  app.get(
    '/milestones/:id',
    {
      schema: {
        tags,
        summary: 'One milestone with its task counts per status',
        params: IdParams,
        response: { 200: MilestoneDetail, ...errors(400, 401, 404) },
      },
    },
    async (request) => loadMilestoneDetail(sql, request.principal, request.params.id),
  );

  app.patch(
    '/milestones/:id',
    {
      schema: {
        tags,
        summary: 'Edit a milestone (admin); its project stays',
        params: IdParams,
        body: PatchMilestoneBody,
        response: { 200: MilestoneDetail, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const p = request.principal;
      requireAdmin(p);
      if (!(await updateMilestone(sql, p.tenantId, request.params.id, request.body))) throw notFound('milestone');
      return loadMilestoneDetail(sql, p, request.params.id);
    },
  );

  app.delete(
    '/milestones/:id',
    adminDeleteSchema(tags, 'Delete a milestone (admin); its tasks stay in the project, without a milestone'),
    adminDelete('milestone', (tenantId, id) => deleteMilestone(sql, tenantId, id)),
  );
};
