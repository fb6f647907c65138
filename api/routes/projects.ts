/**
 * Projects: every user of the tenant reads them, admins write. A project's
 * detail carries its milestones and task counts, so the project view needs one call.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { insertMilestone, listMilestones } from '../../db/repositories/milestones';
import { deleteProject, getProject, insertProject, listProjects, updateProject } from '../../db/repositories/projects';
import { countTasksIn } from '../../db/repositories/task-counts';
import type { Sql } from '../../db/sql';
import type { Principal } from '../../domain/principal';
import type { AppDeps } from '../app';
import { adminDelete, adminDeleteSchema } from '../crud';
import { notFound } from '../errors';
import { requireAdmin } from '../plugins/auth';
import { IdParams, errors } from '../schemas/common';
import {
  CreateMilestoneBody,
  CreateProjectBody,
  ListProjectsQuery,
  MilestoneDetail,
  MilestoneList,
  PatchProjectBody,
  ProjectDetail,
  ProjectList,
} from '../schemas/projects';

async function loadProjectDetail(sql: Sql, p: Principal, id: string) {
  const project = await getProject(sql, p.tenantId, id);
  if (!project) throw notFound('project');
  const [milestones, taskCounts] = await Promise.all([listMilestones(sql, p.tenantId, id), countTasksIn(sql, p, 'project', [id])]);
  return { ...project, milestones, taskCounts };
}

export const projectRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql } = deps;
  const tags = ['projects'];

  app.get(
    '/projects',
    {
      schema: {
        tags,
        summary: 'List projects by name, in keyset pages',
        querystring: ListProjectsQuery,
        response: { 200: ProjectList, ...errors(400, 401) },
      },
    },
    async (request) => listProjects(sql, request.principal.tenantId, { ...request.query, limit: request.query.limit ?? 50 }),
  );

  app.post(
    '/projects',
    {
      schema: {
        tags,
        summary: 'Create a project (admin)',
        body: CreateProjectBody,
        response: { 201: ProjectDetail, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdmin(p);
      const project = await insertProject(sql, p.tenantId, request.body);
      return reply.status(201).send(await loadProjectDetail(sql, p, project.id));
    },
  );

  app.get(
    '/projects/:id',
    {
      schema: {
        tags,
        summary: 'One project with its milestones and task counts per status',
        params: IdParams,
        response: { 200: ProjectDetail, ...errors(400, 401, 404) },
      },
    },
    async (request) => loadProjectDetail(sql, request.principal, request.params.id),
  );

  app.patch(
    '/projects/:id',
    {
      schema: {
        tags,
        summary: 'Edit a project (admin)',
        params: IdParams,
        body: PatchProjectBody,
        response: { 200: ProjectDetail, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const p = request.principal;
      requireAdmin(p);
      if (!(await updateProject(sql, p.tenantId, request.params.id, request.body))) throw notFound('project');
      return loadProjectDetail(sql, p, request.params.id);
    },
  );

  app.delete(
    '/projects/:id',
    adminDeleteSchema(tags, 'Delete a project (admin) with its milestones; its tasks and templates stay, without project and milestone'),
    adminDelete('project', (tenantId, id) => deleteProject(sql, tenantId, id)),
  );

  app.get(
    '/projects/:id/milestones',
    {
      schema: {
        tags,
        summary: "The project's milestones, the next due first",
        params: IdParams,
        response: { 200: MilestoneList, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const { tenantId } = request.principal;
      if (!(await getProject(sql, tenantId, request.params.id))) throw notFound('project');
      return { items: await listMilestones(sql, tenantId, request.params.id) };
    },
  );

  app.post(
    '/projects/:id/milestones',
    {
      schema: {
        tags,
        summary: 'Add a milestone to the project (admin)',
        params: IdParams,
        body: CreateMilestoneBody,
        response: { 201: MilestoneDetail, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdmin(p);
      if (!(await getProject(sql, p.tenantId, request.params.id))) throw notFound('project');
      const milestone = await insertMilestone(sql, p.tenantId, request.params.id, request.body);
      return reply.status(201).send({ ...milestone, taskCounts: await countTasksIn(sql, p, 'milestone', [milestone.id]) });
    },
  );
};
