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
};

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
      message = `invalid ${where}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`;
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
    } else if (pgCode(err) === PG.invalidTextRepresentation) {
      status = 400;
      code = 'bad_request';
      message = 'a value has the wrong format';
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
