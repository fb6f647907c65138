import { isGrpcServiceError } from '@temporalio/client';
import type { FastifyError, FastifyInstance } from 'fastify';
import { InvalidCursorError } from '../db/repositories/tasks';
import { PG, pgCode } from '../db/sql';

export interface ErrorDetail {
  path: string;
  message: string;
}

/** An error the client caused or may act on; its message is shown as is. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }
}

export const notFound = (what = 'task') => new HttpError(404, 'not_found', `${what} not found`);
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
export const badRequest = (message: string, details?: ErrorDetail[]) => new HttpError(400, 'bad_request', message, details);
export const conflict = (code: string, message: string) => new HttpError(409, code, message);

/** Foreign keys whose violation means the client named something that does not exist. */
const FK_FIELDS: Record<string, string> = {
  tasks_tenant_id_customer_id_fkey: 'customerId',
  tasks_tenant_id_project_id_fkey: 'projectId',
  tasks_tenant_id_milestone_id_fkey: 'milestoneId',
  task_assignees_tenant_id_user_id_fkey: 'assigneeIds',
  // Workspace (migrations/1700000000002_workspace.sql): api/task-input.ts checks the
  // milestone rule first with a clearer message; these keys are the backstop.
  tasks_milestone_in_project: 'milestoneId',
  customer_links_a_fkey: 'customerId',
  customer_links_b_fkey: 'customerId',
  projects_customer_fkey: 'customerId',
  task_templates_customer_fkey: 'customerId',
  task_templates_project_fkey: 'projectId',
  task_templates_milestone_fkey: 'milestoneId',
  task_templates_milestone_in_project: 'milestoneId',
  task_template_assignees_user_fkey: 'assigneeIds',
};

/** Unique keys whose violation means the client asked for a duplicate: 409 with this message. */
const UNIQUE_CONFLICTS: Record<string, string> = {
  task_templates_tenant_name: 'a task template with this name already exists',
};

const MAX_DETAILS = 20;

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'rate_limited',
};

/** gRPC status codes that mean the server could not be reached in time: UNAVAILABLE, DEADLINE_EXCEEDED. */
const UNREACHABLE_CODES = [14, 4];

/** Temporal could not be reached: a gRPC UNAVAILABLE or DEADLINE_EXCEEDED anywhere in the error's causes. */
function temporalUnreachable(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && UNREACHABLE_CODES.includes(e.code)) return true;
  }
  return false;
}

/** Seconds a client is told to wait before retrying a request Temporal could not serve. */
const TEMPORAL_RETRY_AFTER_SECONDS = 5;

function constraintOf(err: unknown): string {
  return (err as { constraint_name?: string }).constraint_name ?? '';
}

/** One error shape for every route: { error, message, details?, requestId }. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    let status = 500;
    let code = 'internal_error';
    let message = 'internal error';
    let details: ErrorDetail[] | undefined;

    if (err instanceof HttpError) {
      ({ statusCode: status, code, message, details } = err);
    } else if (err.validation) {
      status = 400;
      code = 'validation_failed';
      const where = err.validationContext ?? 'request';
      details = err.validation.map((v) => {
        const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty;
        const extra = (v.params as { additionalProperty?: string } | undefined)?.additionalProperty;
        const path = `${where}${v.instancePath.replace(/\//g, '.')}${missing ? `.${missing}` : ''}${extra ? `.${extra}` : ''}`;
        return { path, message: extra ? 'is not a known property' : (v.message ?? 'is invalid') };
      });
      // A 1,000-item batch can fail everywhere: report the first few, and how many more.
      const more = details.length - MAX_DETAILS;
      details = details.slice(0, MAX_DETAILS);
      message = `invalid ${where}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}${more > 0 ? `; and ${more} more` : ''}`;
    } else if (err instanceof InvalidCursorError) {
      status = 400;
      code = 'invalid_cursor';
      message = err.message;
    } else if (pgCode(err) === PG.foreignKeyViolation) {
      const field = FK_FIELDS[(err as unknown as { constraint_name?: string }).constraint_name ?? ''];
      status = 400;
      code = 'unknown_reference';
      message = field ? `${field} names something that does not exist in this tenant` : 'a referenced record does not exist';
      if (field) details = [{ path: `body.${field}`, message: 'does not exist' }];
    } else if (pgCode(err) === PG.uniqueViolation && UNIQUE_CONFLICTS[constraintOf(err)]) {
      status = 409;
      code = 'already_exists';
      message = UNIQUE_CONFLICTS[constraintOf(err)]!;
    } else if (pgCode(err) === PG.invalidTextRepresentation) {
      status = 400;
      code = 'bad_request';
      message = 'a value has the wrong format';
    } else if (pgCode(err)?.startsWith('22')) {
      // Other data exceptions: a value the schema let through that PostgreSQL cannot take
      // (a NUL character in text, a date-time in year 0). The client's input, not a fault here.
      status = 400;
      code = 'bad_request';
      message = pgCode(err) === '22021' ? 'text must not contain NUL (\\u0000) characters' : `a value is not valid: ${err.message}`;
    } else if (temporalUnreachable(err)) {
      // Not the client's fault and not a bug: the workflow service is down or restarting. Worth a retry.
      status = 503;
      code = 'temporal_unavailable';
      message = 'the workflow service (Temporal) cannot be reached; try again shortly';
      void reply.header('retry-after', String(TEMPORAL_RETRY_AFTER_SECONDS));
    } else if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's and its plugins' own client errors (bad JSON, wrong content type, file too large…).
      status = err.statusCode;
      code = CODE_BY_STATUS[status] ?? 'bad_request';
      message = err.message;
    }

    if (status >= 500) request.log.error({ err }, 'request failed');
    void reply.status(status).send({ error: code, message, ...(details ? { details } : {}), requestId: request.id });
  });

  app.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .send({ error: 'not_found', message: `no route ${request.method} ${request.url.split('?')[0]}`, requestId: request.id });
  });
}
