import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../app';

const Health = Type.Object({ status: Type.String(), checks: Type.Optional(Type.Record(Type.String(), Type.String())) });

export const healthRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'The process is up', security: [], response: { 200: Health } } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'PostgreSQL and Temporal are reachable', security: [], response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      const check = async (fn: () => Promise<unknown>) => {
        try {
          await withTimeout(fn(), 2000);
          return 'ok';
        } catch (err) {
          return `unavailable: ${(err as Error).message}`;
        }
      };
      const [database, temporal] = await Promise.all([
        check(() => deps.sql`SELECT 1`),
        check(() => deps.temporal.client.workflowService.getSystemInfo({})),
      ]);
      const ready = database === 'ok' && temporal === 'ok';
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: { database, temporal } });
    },
  );
};

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    p.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
