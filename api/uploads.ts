/**
 * Multipart uploads into the blob store, and downloads out of it: shared by
 * task attachments and task template files. An upload is all or nothing: if
 * any file is too large, the stream breaks or the rows cannot be written,
 * the files already stored are removed.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BlobStore, StoredBlob } from '../blob/blob-store';
import { HttpError, badRequest, notFound } from './errors';

export interface ReceivedFile extends StoredBlob {
  id: string;
  filename: string;
  contentType: string;
}

/** What a stored file's download needs. */
export interface StoredFile {
  blobKey: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
}

export const megabytes = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * Streams every file part of the request to `keyOf(id)`, then hands them to
 * `save` (which writes their rows); on any failure the stored blobs go.
 */
export async function receiveFiles<T>(
  request: FastifyRequest,
  blobs: BlobStore,
  maxBytes: number,
  keyOf: (id: string) => string,
  save: (files: ReceivedFile[]) => Promise<T>,
): Promise<T> {
  if (!request.isMultipart()) throw new HttpError(415, 'unsupported_media_type', 'send the files as multipart/form-data');
  const stored: ReceivedFile[] = [];
  try {
    for await (const part of request.files()) {
      const id = randomUUID();
      const blob = await blobs.put(keyOf(id), part.file);
      stored.push({ ...blob, id, filename: part.filename || 'file', contentType: part.mimetype || 'application/octet-stream' });
      if (part.file.truncated) throw tooLarge(part.filename, maxBytes);
    }
    if (stored.length === 0) throw badRequest('no file in the upload');
    return await save(stored);
  } catch (err) {
    await Promise.all(stored.map((b) => blobs.delete(b.key)));
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(undefined, maxBytes);
    throw malformedMultipart(err) ?? err;
  }
}

/** Sends a stored file with its type, size and name; 404 when it or its bytes are missing. */
export async function sendStoredFile(reply: FastifyReply, blobs: BlobStore, file: StoredFile | null, what: string) {
  const body = file && (await blobs.get(file.blobKey));
  if (!file || !body) throw notFound(what);
  return reply
    .header('content-type', file.contentType)
    .header('content-length', file.sizeBytes)
    .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
    .send(body);
}

/** The multipart parser's own errors carry no status; they mean the client sent a broken body. */
const MULTIPART_ERRORS: [RegExp, string][] = [
  [/boundary not found/i, 'the multipart Content-Type has no boundary'],
  [/needle cannot have a length/i, 'the multipart boundary is too long'],
  [/unexpected end of multipart data/i, 'the multipart body ended before its closing boundary'],
];

function malformedMultipart(err: unknown): HttpError | undefined {
  if (!(err instanceof Error) || 'statusCode' in err) return undefined;
  const known = MULTIPART_ERRORS.find(([pattern]) => pattern.test(err.message));
  return known && badRequest(`${known[1]}; nothing was stored`);
}

function tooLarge(filename: string | undefined, maxBytes: number): HttpError {
  return new HttpError(
    413,
    'file_too_large',
    `${filename ? `"${filename}" is` : 'a file is'} larger than ${megabytes(maxBytes)} MB; nothing was stored`,
  );
}
