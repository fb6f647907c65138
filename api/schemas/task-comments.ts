import { Type } from '@sinclair/typebox';
import { Nullable, PageOf, PageQuery, Timestamp, Uuid } from './common';

const commentExample = {
  id: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e',
  taskId: '6e5d4c3b-2a19-4f8e-9d7c-6b5a4f3e2d1c',
  body: 'Called the guest back; they will confirm by Friday.',
  author: { id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', name: 'Ada Admin' },
  createdAt: '2026-04-01T14:03:00.000Z',
  editedAt: null,
};

export const CommentBody = Type.Object(
  { body: Type.String({ minLength: 1, maxLength: 10_000, pattern: '\\S', description: 'plain text, not blank' }) },
  { additionalProperties: false, examples: [{ body: commentExample.body }] },
);

export const CommentSchema = Type.Object(
  {
    id: Uuid,
    taskId: Uuid,
    body: Type.String(),
    author: Nullable(Type.Object({ id: Uuid, name: Type.String() }, { description: "null once the author's user is deleted" })),
    createdAt: Timestamp,
    editedAt: Nullable({ ...Timestamp, description: 'when the body was last edited; null if never' }),
  },
  { $id: 'Comment', examples: [commentExample] },
);

export const CommentParams = Type.Object({ id: Uuid, commentId: Uuid });

export const ListCommentsQuery = PageQuery({}, { examples: [{ limit: 100 }] });

export const CommentList = PageOf(Type.Ref(CommentSchema), { examples: [{ items: [commentExample], nextCursor: null }] });
