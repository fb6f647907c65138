/**
 * buildApp(deps): the whole HTTP API as a Fastify instance, without listening.
 * Tests drive it with inject(); server.ts listens.
 */
import AjvCompiler from '@fastify/ajv-compiler';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { BlobStore } from '../blob/blob-store';
import type { Config } from '../config';
import type { Sql } from '../db/sql';
import { loggerOptions } from '../logger';
import type { TaskWorkflowDeps } from '../temporal/task-workflows';
import { registerErrorHandling } from './errors';
import { logSafeUrl } from './log-safe-url';
import { authPlugin } from './plugins/auth';
import { healthRoutes } from './routes/health';
import { integrationApi } from './routes/integrations';
import { taskRoutes } from './routes/tasks';
import { attachmentRoutes } from './routes/attachments';
import { customerLinkRoutes } from './routes/customer-links';
import { customerRoutes } from './routes/customers';
import { milestoneRoutes } from './routes/milestones';
import { projectRoutes } from './routes/projects';
import { recordingRoutes } from './routes/recordings';
import { sessionRoutes } from './routes/sessions';
import { taskCommentRoutes } from './routes/task-comments';
import { taskFromTemplateRoutes } from './routes/task-from-template';
import { taskTemplateRoutes } from './routes/task-templates';
import { tenantRoutes } from './routes/tenant';
import { writebackRoutes } from './routes/writebacks';
import { ErrorBody } from './schemas/common';
import { CustomerSchema } from './schemas/customers';
import { MilestoneSchema, ProjectSchema } from './schemas/projects';
import { SessionSchema } from './schemas/sessions';
import { CommentSchema } from './schemas/task-comments';
import { TemplateFileSchema, TemplateSchema } from './schemas/task-templates';
import { AttachmentSchema, CompactTaskRow, TaskDetail, TaskRow } from './schemas/tasks';

export interface AppDeps {
  config: Config;
  sql: Sql;
  blobs: BlobStore;
  temporal: TaskWorkflowDeps;
}

export type App = FastifyInstance;

type ValidatorFactory = ReturnType<typeof AjvCompiler>;
type RouteSchema = { schema: unknown; httpPart?: string };

/**
 * Query strings, path params and headers arrive as text, so Ajv coerces them
 * to their schema's types. A JSON body arrives typed: a string where a number
 * belongs, or one value where a list belongs, is a 400 that says so, not
 * silently converted.
 */
function buildValidator(externalSchemas: Parameters<ValidatorFactory>[0], options: Parameters<ValidatorFactory>[1]) {
  const coercing = AjvCompiler()(externalSchemas, options) as unknown as (route: RouteSchema) => unknown;
  const strict = AjvCompiler()(externalSchemas, {
    ...options,
    customOptions: { ...options?.customOptions, coerceTypes: false },
  } as Parameters<ValidatorFactory>[1]) as unknown as (route: RouteSchema) => unknown;
  return (route: RouteSchema) => (route.httpPart === 'body' ? strict : coercing)(route);
}

export async function buildApp(deps: AppDeps): Promise<App> {
  const app = Fastify({
    logger: loggerOptions(deps.config),
    // Fastify's two lines per request are replaced by our one (onResponse below).
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    schemaController: { compilersFactory: { buildValidator: buildValidator as never } },
    bodyLimit: 8 * 1024 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // One log line per request, with its id; the Authorization header is never logged.
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { method: request.method, url: logSafeUrl(request.url), statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  registerErrorHandling(app);
  await app.register(helmet, { contentSecurityPolicy: false });
  await app.register(cors);
  await app.register(multipart, {
    limits: { fileSize: deps.config.attachmentMaxBytes, files: 20, fields: 20 },
    throwFileSizeLimit: true,
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Task Hub API',
        version: '1.0.0',
        description:
          'Tasks from field-service systems and the Dashboard. Every /v1 route takes `Authorization: Bearer <token>`. ' +
          'Errors are JSON: `{ error, message, details?, requestId }`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.addSchema(ErrorBody);
  app.addSchema(TaskRow);
  app.addSchema(AttachmentSchema);
  app.addSchema(TaskDetail);
  for (const schema of [CompactTaskRow, CustomerSchema, ProjectSchema, MilestoneSchema, CommentSchema, TemplateFileSchema, TemplateSchema, SessionSchema]) {
    app.addSchema(schema);
  }

  await app.register(healthRoutes, deps);
  await app.register(
    async (v1) => {
      await v1.register(authPlugin, { sql: deps.sql });
      await v1.register(taskRoutes, deps);
      await v1.register(attachmentRoutes, deps);
      // Seed 001's workspace.
      await v1.register(tenantRoutes, deps);
      await v1.register(customerRoutes, deps);
      await v1.register(customerLinkRoutes, deps);
      await v1.register(projectRoutes, deps);
      await v1.register(milestoneRoutes, deps);
      await v1.register(taskCommentRoutes, deps);
      await v1.register(taskTemplateRoutes, deps);
      await v1.register(taskFromTemplateRoutes, deps);
      // Sessions (issue 4): the engineer's device.
      await v1.register(sessionRoutes, deps);
      // Job notes owed to FSMs (issue 4): ops find and retry stuck ones.
      await v1.register(writebackRoutes, deps);
    },
    { prefix: '/v1' },
  );
  // Signed recording links carry their own credential: no bearer token.
  await app.register(recordingRoutes, { ...deps, prefix: '/v1' });
  // Integrations (issue 3): admin routes with their own bearer authentication, beside the OAuth callback and webhooks, which have none.
  await app.register(integrationApi, { ...deps, prefix: '/v1' });
  return app;
}
