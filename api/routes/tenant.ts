/**
 * The caller's tenant and its settings. The time zone decides when a
 * date-only due date ends and where a template's "+1 day" lands.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import pMap from 'p-map';
import { getTenant, isKnownTimeZone, updateTenant } from '../../db/repositories/tenants';
import { taskWorkflowId } from '../../domain/ids';
import { dueDateChangedSignal } from '../../domain/messages';
import type { AppDeps } from '../app';
import { badRequest, notFound } from '../errors';
import { requireAdmin } from '../plugins/auth';
import { errors } from '../schemas/common';
import { PatchTenantBody, TenantSchema } from '../schemas/tenant';

/** The zone's canonical IANA name, or null when Intl does not know it. */
function canonicalTimeZone(timeZone: string): string | null {
  try {
    return new Intl.DateTimeFormat('en', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

export const tenantRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql } = deps;
  const tags = ['tenant'];

  app.get(
    '/tenant',
    {
      schema: { tags, summary: "The caller's tenant and its settings", response: { 200: TenantSchema, ...errors(401) } },
    },
    async (request) => {
      const tenant = await getTenant(sql, request.principal.tenantId);
      if (!tenant) throw notFound('tenant');
      return tenant;
    },
  );

  app.patch(
    '/tenant',
    {
      schema: {
        tags,
        summary: "Change the tenant's name or time zone (admin)",
        description:
          'A new time zone moves the date-only due dates of existing tasks to the end of their day in that zone; ' +
          'due dates with a time stay the instants they are.',
        body: PatchTenantBody,
        response: { 200: TenantSchema, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const p = request.principal;
      requireAdmin(p);
      const { name, timeZone } = request.body;
      const zone = timeZone === undefined ? undefined : canonicalTimeZone(timeZone);
      if (zone === null || (zone !== undefined && !(await isKnownTimeZone(sql, zone)))) {
        throw badRequest(`timeZone ${JSON.stringify(timeZone)} is not an IANA time zone such as Europe/London`, [
          { path: 'body.timeZone', message: 'is not a known time zone' },
        ]);
      }
      const result = await sql.begin((tx) => updateTenant(tx, p.tenantId, { name, timeZone: zone }));
      if (!result) throw notFound('tenant');
      // The moved tasks' overdue timers re-arm. A lost signal leaves a timer at the
      // old instant, whose activity then reads the row's due date and re-arms;
      // the list's overdue flag reads the row, so it is right either way.
      await pMap(
        result.moved,
        (task) =>
          deps.temporal.client.workflow
            .getHandle(taskWorkflowId(task.id))
            .signal(dueDateChangedSignal, { dueAt: task.dueAt.toISOString() })
            .catch((err: unknown) => request.log.warn({ err, taskId: task.id }, 'due date signal not delivered')),
        { concurrency: 16 },
      );
      return result.tenant;
    },
  );
};
