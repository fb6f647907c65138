/**
 * Session uploads and signed recording links through the real app: the
 * recording streamed into the blob store (with and without a declared
 * length), the configured limit, content types, the thumbnail the task detail
 * shows, and GET /v1/recordings over real HTTP (no token, Range, tampered and
 * expired links). The limits are set small in this suite's configuration.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { signRecordingUrl } from '../../blob/signed-url';
import { type ErrorResponse, expectError } from '../helpers/api-checks';
import { type Harness, type TenantFixture, createTenantFixture, startHarness } from '../helpers/harness';
import { type SessionBody, sessionApi, sessionRow } from '../helpers/session-api';
import { addUser } from '../helpers/task-api';

const RECORDING_MAX = 64 * 1024;
const THUMBNAIL_MAX = 8 * 1024;
const URL_KEY = 'recordings-suite-key-0123456789abcdef';

let h: Harness;
let api: ReturnType<typeof sessionApi>;
let t: TenantFixture;
let base: string;

beforeAll(async () => {
  h = await startHarness({
    attachmentMaxBytes: THUMBNAIL_MAX,
    sessions: { idleTimeoutSeconds: 3600, recordingMaxBytes: RECORDING_MAX, recordingUrlKey: URL_KEY, recordingUrlTtlSeconds: 300 },
  });
  api = sessionApi(h);
  t = await createTenantFixture(h.sql, 'Recordings');
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
});
afterAll(() => h.stop());

const stagingKey = (s: SessionBody) => `tenants/${t.tenantId}/tasks/${s.taskId}/sessions/${s.id}/staging/recording`;
const blobFile = (key: string) => path.join(h.config.blobDir, key);
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function stored(key: string): Promise<Buffer | null> {
  const stream = await h.blobs.get(key);
  if (!stream) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A body without Content-Length: the upload arrives chunked, as from a device streaming as it records. */
function chunked(bytes: Buffer, chunkSize = 4096): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
    })(),
  );
}

const errorOf = async (res: Response): Promise<ErrorResponse> => ({
  status: res.status,
  contentType: res.headers.get('content-type') ?? undefined,
  requestIdHeader: res.headers.get('x-request-id') ?? undefined,
  body: await res.text(),
});

/** The signed link, aimed at this suite's listening app (PUBLIC_URL names the configured address). */
const onThisServer = (url: string) => `${base}${new URL(url).pathname}${new URL(url).search}`;

describe('recording upload', () => {
  test('streams the body into the blob store and records key, size and type; the device counts as seen', async () => {
    const session = await api.started(t);
    const before = (await sessionRow(h, session.id)).lastSeenAt;
    const bytes = randomBytes(40 * 1024);
    const res: SessionBody = (await api.upload(t.engineer.auth, session.id, 'recording', bytes, 'video/mp4')).json();
    expect(res.recording).toEqual({ sizeBytes: bytes.length, contentType: 'video/mp4', url: expect.stringMatching(/^http/) });
    const row = await sessionRow(h, session.id);
    expect(row).toMatchObject({ recordingKey: stagingKey(session), recordingSizeBytes: String(bytes.length) });
    expect(row.lastSeenAt.getTime()).toBeGreaterThan(before.getTime());
    expect(sha((await stored(stagingKey(session)))!)).toBe(sha(bytes));
  });

  test('a chunked upload with no Content-Length is stored whole; a second upload replaces the first', async () => {
    const session = await api.started(t);
    const first = randomBytes(RECORDING_MAX);
    await api.upload(t.engineer.auth, session.id, 'recording', chunked(first), 'application/octet-stream');
    expect(sha((await stored(stagingKey(session)))!)).toBe(sha(first));

    const second = randomBytes(1000);
    const res: SessionBody = (await api.upload(t.engineer.auth, session.id, 'recording', chunked(second), 'video/webm; codecs=vp9')).json();
    expect(res.recording).toMatchObject({ sizeBytes: 1000, contentType: 'video/webm' });
    expect(await stored(stagingKey(session))).toEqual(second);
  });

  test('over the limit by Content-Length: 413 before anything is read; nothing stored, no key', async () => {
    const session = await api.started(t);
    const res = await api.upload(t.engineer.auth, session.id, 'recording', randomBytes(RECORDING_MAX + 1), 'video/mp4', 413);
    expectError(res, 413, 'file_too_large', /nothing was stored/);
    expect(res.headers.connection).toBe('close');
    expect(await sessionRow(h, session.id)).toMatchObject({ recordingKey: null, recordingSizeBytes: null });
    expect(existsSync(path.dirname(blobFile(stagingKey(session))))).toBe(false);
  });

  test('over the limit while streaming (chunked): 413, the partial file is gone, an earlier recording stays', async () => {
    const session = await api.started(t);
    const res = await api.upload(t.engineer.auth, session.id, 'recording', chunked(randomBytes(RECORDING_MAX + 4096)), 'video/mp4', 413);
    expectError(res, 413, 'file_too_large');
    expect((await sessionRow(h, session.id)).recordingKey).toBeNull();
    expect(await stored(stagingKey(session))).toBeNull();

    const kept = randomBytes(2048);
    await api.upload(t.engineer.auth, session.id, 'recording', kept, 'video/mp4');
    await api.upload(t.engineer.auth, session.id, 'recording', chunked(randomBytes(RECORDING_MAX * 2)), 'video/mp4', 413);
    expect(await stored(stagingKey(session))).toEqual(kept);
    expect((await sessionRow(h, session.id)).recordingSizeBytes).toBe('2048');
    // Only the recording itself is in the folder: no temporary file was left behind.
    expect(await readdir(path.dirname(blobFile(stagingKey(session))))).toEqual(['recording']);
  });

  test.each([['text/plain'], ['application/json'], ['image/png'], ['']])('Content-Type %j is 415 and stores nothing', async (type) => {
    const session = await api.started(t);
    const res = await h.app.inject({
      method: 'PUT',
      url: `/v1/sessions/${session.id}/recording`,
      headers: { ...t.engineer.auth, ...(type ? { 'content-type': type } : {}) },
      payload: type === 'application/json' ? '{"a":1}' : 'not a video',
    });
    expectError(res, 415, 'unsupported_media_type', /video\/\*/);
    expect((await sessionRow(h, session.id)).recordingKey).toBeNull();
  });

  test('an empty body is 400; a session that is no longer running is 409; both store nothing', async () => {
    const session = await api.started(t);
    expectError(await api.upload(t.engineer.auth, session.id, 'recording', Buffer.alloc(0), 'video/mp4', 400), 400, 'bad_request', /empty/);
    expectError(await api.upload(t.engineer.auth, session.id, 'recording', chunked(Buffer.alloc(0)), 'video/mp4', 400), 400, 'bad_request');
    await api.complete(t.engineer.auth, session.id, {});
    expectError(await api.upload(t.engineer.auth, session.id, 'recording', randomBytes(10), 'video/mp4', 409), 409, 'invalid_transition');
    expect((await sessionRow(h, session.id)).recordingKey).toBeNull();
    expect(await stored(stagingKey(session))).toBeNull();
  });

  test('over real HTTP, a streamed request body arrives whole', async () => {
    const session = await api.started(t);
    const bytes = randomBytes(50 * 1024);
    const res = await fetch(`${base}/v1/sessions/${session.id}/recording`, {
      method: 'PUT',
      headers: { ...t.engineer.auth, 'content-type': 'video/mp4' },
      body: Readable.toWeb(chunked(bytes)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(((await res.json()) as SessionBody).recording).toMatchObject({ sizeBytes: bytes.length });
    expect(sha((await stored(stagingKey(session)))!)).toBe(sha(bytes));
  });
});

describe('thumbnail', () => {
  test('shows on the task detail and downloads with its type, for anyone who can see the task', async () => {
    const session = await api.started(t);
    const png = randomBytes(1024);
    const res: SessionBody = (await api.upload(t.engineer.auth, session.id, 'thumbnail', png, 'image/png')).json();
    expect(res.thumbnailUrl).toBe(`/v1/sessions/${session.id}/thumbnail`);
    await api.complete(t.engineer.auth, session.id, { durationSeconds: 60 });
    const detail = await api.tasks.get(t.admin.auth, session.taskId);
    expect(detail.session).toMatchObject({ thumbnailUrl: res.thumbnailUrl, durationSeconds: 60 });

    const colleague = await addUser(h, t.tenantId, 'Colleague');
    const image = await h.app.inject({ method: 'GET', url: res.thumbnailUrl!, headers: colleague.auth });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.rawPayload).toEqual(png);
  });

  test('after completion it may still come; a failed session, a GIF or a file over the limit may not', async () => {
    const session = await api.started(t);
    await api.complete(t.engineer.auth, session.id, {});
    await api.upload(t.engineer.auth, session.id, 'thumbnail', randomBytes(100), 'image/webp');
    expectError(await api.upload(t.engineer.auth, session.id, 'thumbnail', randomBytes(100), 'image/gif', 415), 415, 'unsupported_media_type');
    expectError(await api.upload(t.engineer.auth, session.id, 'thumbnail', randomBytes(THUMBNAIL_MAX + 1), 'image/jpeg', 413), 413, 'file_too_large');

    const failed = await api.started(t);
    await api.fail(t.engineer.auth, failed.id, 'dropped the glasses');
    expectError(await api.upload(t.engineer.auth, failed.id, 'thumbnail', randomBytes(100), 'image/png', 409), 409, 'invalid_transition');
    expect((await sessionRow(h, failed.id)).thumbnailKey).toBeNull();
    const none = await h.app.inject({ method: 'GET', url: `/v1/sessions/${failed.id}/thumbnail`, headers: t.admin.auth });
    expectError(none, 404, 'not_found');
  });

  test('a private task hides its thumbnail from those who cannot see the task', async () => {
    const task = await api.assignedTask(t, { private: true });
    const session: SessionBody = (await api.start(t.engineer.auth, task.id)).json();
    await api.upload(t.engineer.auth, session.id, 'thumbnail', randomBytes(10), 'image/png');
    const outsider = await addUser(h, t.tenantId, 'Outsider');
    const res = await h.app.inject({ method: 'GET', url: `/v1/sessions/${session.id}/thumbnail`, headers: outsider.auth });
    expectError(res, 404, 'not_found');
  });
});

describe('signed recording links', () => {
  let session: SessionBody;
  let bytes: Buffer;
  let url: string;

  beforeAll(async () => {
    session = await api.started(t);
    bytes = randomBytes(30_000);
    await api.upload(t.engineer.auth, session.id, 'recording', bytes, 'video/mp4');
    url = (await api.get(t.engineer.auth, session.id)).recording!.url;
  });

  test('are absolute, on PUBLIC_URL, and work without a token: the whole file with its type and length', async () => {
    expect(url.startsWith(`${h.config.publicUrl}/v1/recordings/${session.id}?`)).toBe(true);
    const res = await fetch(onThisServer(url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
  });

  test.each([
    ['bytes=100-199', 100, 199],
    ['bytes=29990-', 29_990, 29_999],
    ['bytes=-10', 29_990, 29_999],
    ['bytes=29000-99999', 29_000, 29_999],
  ])('Range %s is 206 with exactly those bytes', async (range, start, end) => {
    const res = await fetch(onThisServer(url), { headers: { range } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${bytes.length}`);
    expect(res.headers.get('content-length')).toBe(String(end - start + 1));
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes.subarray(start, end + 1));
  });

  test('a range past the end is 416; several ranges get the whole file', async () => {
    const past = await fetch(onThisServer(url), { headers: { range: 'bytes=30000-' } });
    expect(past.headers.get('content-range')).toBe(`bytes */${bytes.length}`);
    expectError(await errorOf(past), 416, 'range_not_satisfiable');
    const several = await fetch(onThisServer(url), { headers: { range: 'bytes=0-1,5-6' } });
    expect(several.status).toBe(200);
    expect((await several.arrayBuffer()).byteLength).toBe(bytes.length);
  });

  test('a tampered signature, tenant, session or expiry is 403, and so is an expired link', async () => {
    const signed = new URL(onThisServer(url));
    const tamper = (name: string, value: string) => {
      const copy = new URL(signed);
      copy.searchParams.set(name, value);
      return copy.toString();
    };
    const sig = signed.searchParams.get('sig')!;
    const otherSig = `${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`;
    const exp = Number(signed.searchParams.get('exp'));
    const other = await createTenantFixture(h.sql, 'Other');
    for (const link of [
      tamper('sig', otherSig),
      tamper('sig', `${sig}A`),
      tamper('exp', String(exp + 3600)),
      tamper('t', other.tenantId),
      signed.toString().replace(session.id, (await api.started(t)).id),
    ]) {
      expectError(await errorOf(await fetch(link)), 403, 'invalid_signature');
    }
    const settings = { publicUrl: base, key: URL_KEY, ttlSeconds: 300 };
    const expired = signRecordingUrl(settings, { tenantId: t.tenantId, sessionId: session.id }, Date.now() - 301_000);
    expectError(await errorOf(await fetch(expired)), 403, 'link_expired', /expired/);
    const wrongKey = signRecordingUrl({ ...settings, key: 'another-key-another-key-another-key' }, { tenantId: t.tenantId, sessionId: session.id });
    expectError(await errorOf(await fetch(wrongKey)), 403, 'invalid_signature');
  });

  test('missing or malformed parameters are 400; a signed link to a session without a recording is 404', async () => {
    const signed = new URL(onThisServer(url));
    const without = new URL(signed);
    without.searchParams.delete('sig');
    expectError(await errorOf(await fetch(without)), 400, 'validation_failed');
    const badExp = new URL(signed);
    badExp.searchParams.set('exp', 'soon');
    expectError(await errorOf(await fetch(badExp)), 400, 'validation_failed');
    expectError(await errorOf(await fetch(`${base}/v1/recordings/not-a-uuid${signed.search}`)), 400, 'validation_failed');

    const bare = await api.started(t);
    const link = signRecordingUrl({ publicUrl: base, key: URL_KEY, ttlSeconds: 60 }, { tenantId: t.tenantId, sessionId: bare.id });
    expectError(await errorOf(await fetch(link)), 404, 'not_found');
  });

  test('follow the row when the pipeline moves the recording out of staging', async () => {
    const moved = `tenants/${t.tenantId}/tasks/${session.taskId}/sessions/${session.id}/recording`;
    await h.blobs.put(moved, Readable.from([bytes]));
    await h.sql`UPDATE sessions SET recording_key = ${moved} WHERE id = ${session.id}`;
    await h.blobs.delete(stagingKey(session));
    const res = await fetch(onThisServer(url), { headers: { range: 'bytes=0-99' } });
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes.subarray(0, 100));
  });
});

test('an over-limit upload over real HTTP gets its 413 answer', async () => {
  const session = await api.started(t);
  const res = await fetch(`${base}/v1/sessions/${session.id}/recording`, {
    method: 'PUT',
    headers: { ...t.engineer.auth, 'content-type': 'video/mp4' },
    body: randomBytes(RECORDING_MAX + 1),
  });
  expectError(await errorOf(res), 413, 'file_too_large');
});
