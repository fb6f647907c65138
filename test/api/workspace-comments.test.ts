/**
 * Comments on tasks: who reads and writes them (the task's privacy decides
 * who sees them; the author or an admin edits and deletes), edited times,
 * pages, and the task events each change records.
 */
import { expectError } from '../helpers/api-checks';
import type { Harness, TenantFixture } from '../helpers/harness';
import { addUser, eventsOf } from '../helpers/task-api';
import { type WorkspaceApi, workspaceRows, workspaceSuite } from '../helpers/workspace-api';

let h: Harness;
let ws: WorkspaceApi;
let t: TenantFixture;
workspaceSuite((s) => ({ h, ws, t } = s));

const commentUrl = (taskId: string, commentId?: string) => `/v1/tasks/${taskId}/comments${commentId ? `/${commentId}` : ''}`;

test("a private task's comments are 404 to whoever may not see the task; its assignee and admins use them", async () => {
  const outsider = await addUser(h, t.tenantId, 'Olive Outsider');
  const task = await ws.tasks.create(t.admin.auth, { title: 'Confidential', private: true, assigneeIds: [t.engineer.id] });
  const comment = await ws.comment(t.engineer.auth, task.id, 'Only for us');
  const before = await workspaceRows(h, t.tenantId);

  for (const [method, url] of [
    ['GET', commentUrl(task.id)],
    ['POST', commentUrl(task.id)],
    ['PATCH', commentUrl(task.id, comment.id)],
    ['DELETE', commentUrl(task.id, comment.id)],
  ] as const) {
    const payload = method === 'POST' || method === 'PATCH' ? { payload: { body: 'x' } } : {};
    const res = await h.app.inject({ method, url, headers: outsider.auth, ...payload });
    expectError(res, 404, 'not_found', /^task not found$/);
    expect(res.body).not.toContain('Only for us');
  }
  expect(await workspaceRows(h, t.tenantId)).toEqual(before);

  const seen = await ws.get(commentUrl(task.id), t.admin.auth);
  expect(seen.items.map((c: { body: string }) => c.body)).toEqual(['Only for us']);
  expect((await ws.get(commentUrl(task.id), t.apiKey.auth)).items).toHaveLength(1);
  // Once unassigned, the engineer loses the task and its comments.
  await ws.tasks.patch(t.admin.auth, task.id, { assigneeIds: [] });
  expectError(await h.app.inject({ url: commentUrl(task.id), headers: t.engineer.auth }), 404, 'not_found');
});

test('the author edits and deletes; other users get 403; admins may; each change is a task event', async () => {
  const colleague = await addUser(h, t.tenantId, 'Carl Colleague');
  const task = await ws.tasks.create(t.admin.auth, { title: 'Call the guest back' });
  const posted = await ws.comment(t.engineer.auth, task.id, 'Left a voicemail');
  expect(posted).toEqual({
    id: expect.any(String),
    taskId: task.id,
    body: 'Left a voicemail',
    author: { id: t.engineer.id, name: 'Eddie Engineer' },
    createdAt: expect.any(String),
    editedAt: null,
  });

  const edited = await ws.patch(commentUrl(task.id, posted.id), t.engineer.auth, { body: 'Left a voicemail at 10:00' });
  expect(edited).toMatchObject({ body: 'Left a voicemail at 10:00', createdAt: posted.createdAt, editedAt: expect.any(String) });
  expect(new Date(edited.editedAt).getTime()).toBeGreaterThanOrEqual(new Date(posted.createdAt).getTime());

  for (const [method, payload] of [
    ['PATCH', { body: 'Hijacked' }],
    ['DELETE', undefined],
  ] as const) {
    const res = await h.app.inject({ method, url: commentUrl(task.id, posted.id), headers: colleague.auth, ...(payload ? { payload } : {}) });
    expectError(res, 403, 'forbidden', /author/);
    const asKey = await h.app.inject({ method, url: commentUrl(task.id, posted.id), headers: t.apiKey.auth, ...(payload ? { payload } : {}) });
    expectError(asKey, 403, 'forbidden');
  }
  expectError(await h.app.inject({ method: 'POST', url: commentUrl(task.id), headers: t.apiKey.auth, payload: { body: 'x' } }), 403, 'forbidden');

  const theirs = await ws.comment(colleague.auth, task.id, 'I can take it');
  expect(await ws.patch(commentUrl(task.id, theirs.id), t.admin.auth, { body: 'I can take it (moderated)' })).toMatchObject({
    author: { id: colleague.id, name: 'Carl Colleague' },
  });
  await ws.tasks.send('DELETE', commentUrl(task.id, theirs.id), t.admin.auth, 204);
  await ws.tasks.send('DELETE', commentUrl(task.id, posted.id), t.engineer.auth, 204);
  await ws.tasks.send('DELETE', commentUrl(task.id, posted.id), t.engineer.auth, 404);
  expect((await ws.get(commentUrl(task.id), t.admin.auth)).items).toEqual([]);

  const events = (await eventsOf(h, task.id)).filter((e) => e.type.startsWith('task.comment_'));
  expect(events.map((e) => [e.type, e.actorId, e.data.commentId])).toEqual([
    ['task.comment_added', t.engineer.id, posted.id],
    ['task.comment_edited', t.engineer.id, posted.id],
    ['task.comment_added', colleague.id, theirs.id],
    ['task.comment_edited', t.admin.id, theirs.id],
    ['task.comment_deleted', t.admin.id, theirs.id],
    ['task.comment_deleted', t.engineer.id, posted.id],
  ]);
});

test("comments come oldest first in pages; another task's comment id is 404", async () => {
  const task = await ws.tasks.create(t.admin.auth, { title: 'Busy thread' });
  const other = await ws.tasks.create(t.admin.auth, { title: 'Quiet' });
  for (let i = 1; i <= 5; i++) await ws.comment(t.admin.auth, task.id, `Note ${i}`);
  const bodies: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: { body: string }[]; nextCursor: string | null } = await ws.get(commentUrl(task.id), t.engineer.auth, {
      limit: '2',
      ...(cursor ? { cursor } : {}),
    });
    bodies.push(...page.items.map((c) => c.body));
    cursor = page.nextCursor;
  } while (cursor);
  expect(bodies).toEqual(['Note 1', 'Note 2', 'Note 3', 'Note 4', 'Note 5']);

  const [first] = (await ws.get(commentUrl(task.id), t.admin.auth)).items;
  expectError(await h.app.inject({ method: 'DELETE', url: commentUrl(other.id, first.id), headers: t.admin.auth }), 404, 'not_found', /comment/);
  // Deleting the task deletes its comments.
  await ws.tasks.send('DELETE', `/v1/tasks/${task.id}`, t.admin.auth, 204);
  expect((await workspaceRows(h, t.tenantId)).comments).toEqual([]);
});
