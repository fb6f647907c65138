/**
 * GET /v1/recordings/:sessionId?t&exp&sig: a session's recording through a
 * signed link (blob/signed-url.ts). No bearer token: a video element or an
 * FSM's job note cannot send one, so the signature is the credential, and
 * app.ts registers this outside the authenticated /v1 scope. A tampered or
 * expired link is 403. A single `Range: bytes=` request is answered with 206,
 * which video players need to seek.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { verifyRecordingSignature } from '../../blob/signed-url';
import { getSession } from '../../db/repositories/sessions';
import type { AppDeps } from '../app';
import { HttpError, notFound } from '../errors';
import { errors } from '../schemas/common';
import { RecordingParams, RecordingQuery } from '../schemas/sessions';

type ByteRange = { start: number; end: number };

/**
 * One `bytes=` range (RFC 9110 §14). Anything else (several ranges, another
 * unit, a malformed header) is answered with the whole file, as the RFC allows.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    return suffix === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  return start >= size ? 'unsatisfiable' : { start, end };
}

const Binary = (description: string) => Type.Unsafe<unknown>({ type: 'string', format: 'binary', description });

export const recordingRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, { sql, blobs, config }) => {
  app.get(
    '/recordings/:sessionId',
    {
      schema: {
        tags: ['sessions'],
        summary: "A session's recording, through the signed link GET /v1/sessions/:id answers",
        description:
          'No bearer token: the link is signed (HMAC-SHA256) and expires after RECORDING_URL_TTL_SECONDS. A changed or expired link ' +
          'gets 403. Supports one `Range: bytes=…` (206).',
        security: [],
        params: RecordingParams,
        querystring: RecordingQuery,
        response: {
          200: Binary('the recording, with its content type'),
          206: Binary('the requested bytes'),
          ...errors(400, 403, 404, 416),
        },
      },
    },
    async (request, reply) => {
      const { sessionId } = request.params;
      const { t: tenantId, exp, sig } = request.query;
      const check = verifyRecordingSignature(config.sessions.recordingUrlKey, { tenantId, sessionId, exp, sig });
      if (check === 'bad_signature') throw new HttpError(403, 'invalid_signature', 'this recording link is not valid');
      if (check === 'expired') throw new HttpError(403, 'link_expired', 'this recording link has expired: get a fresh one from the session');

      // The pipeline moves the recording out of staging and updates the key: read whatever the row says now.
      const session = await getSession(sql, tenantId, sessionId);
      const key = session?.recordingKey;
      const size = session?.recordingSizeBytes;
      if (!key || !size) throw notFound('recording');
      const range = parseRange(request.headers.range, size);
      if (range === 'unsatisfiable') {
        void reply.header('content-range', `bytes */${size}`);
        throw new HttpError(416, 'range_not_satisfiable', `the recording has ${size} bytes`);
      }
      const body = range ? await blobs.getRange(key, range.start, range.end) : await blobs.get(key);
      if (!body) throw notFound('recording');
      void reply
        .header('content-type', session.recordingContentType ?? 'application/octet-stream')
        .header('accept-ranges', 'bytes')
        .header('cache-control', 'private')
        // The Dashboard's <video> may be on another origin (helmet's default is same-origin).
        .header('cross-origin-resource-policy', 'cross-origin');
      if (!range) return reply.header('content-length', size).send(body);
      return reply
        .status(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
        .header('content-length', range.end - range.start + 1)
        .send(body);
    },
  );
};
