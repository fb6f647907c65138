import { Type } from '@sinclair/typebox';
import { DUE_OFFSET_HELP } from '../../domain/due-offset';
import { LIVE_STATUSES, PRIORITIES } from '../../domain/task';
import { Name, Nullable, PageOf, PageQuery, StringEnum, Timestamp, Uuid } from './common';
import { Assignee, Description, Tag, Title, editable } from './tasks';

const TEMPLATE_ID = '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a';
const USER_ID = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

const Status = StringEnum(LIVE_STATUSES, { description: 'the status a task created from the template starts in' });
const DueOffset = Type.String({ minLength: 1, maxLength: 100, description: `due date = creation time + this: ${DUE_OFFSET_HELP}` });

const templateFields = {
  description: Type.Optional(Description),
  status: Type.Optional(Status),
  dueOffset: Type.Optional(Nullable(DueOffset)),
  priority: Type.Optional(StringEnum(PRIORITIES)),
  private: Type.Optional(Type.Boolean()),
  tags: Type.Optional(Type.Array(Tag, { maxItems: 50, uniqueItems: true })),
  assigneeIds: Type.Optional(Type.Array(Uuid, { maxItems: 50, uniqueItems: true, description: 'default assignees: users of the tenant' })),
  customerId: Type.Optional(Nullable(Uuid)),
  projectId: Type.Optional(Nullable(Uuid)),
  milestoneId: Type.Optional(
    Nullable(Type.String({ format: 'uuid', description: "one of the project's milestones; given without projectId, it sets the project too" })),
  ),
};

const createExample = {
  name: 'Post-call follow-up',
  title: 'Send the proposal discussed on the call',
  description: 'Attach the price list; copy the account manager.',
  status: 'open',
  dueOffset: '+2 days',
  priority: 'high',
  tags: ['follow-up'],
  assigneeIds: [USER_ID],
};

export const CreateTemplateBody = Type.Object(
  { name: Name(200), title: Title, ...templateFields },
  { additionalProperties: false, examples: [createExample] },
);

export const PatchTemplateBody = Type.Object(
  { name: Type.Optional(Name(200)), title: Type.Optional(Title), ...templateFields },
  { additionalProperties: false, minProperties: 1, examples: [{ dueOffset: '+1 week', assigneeIds: [] }] },
);

export const TemplateFileSchema = Type.Object(
  {
    id: Uuid,
    filename: Type.String(),
    contentType: Type.String(),
    sizeBytes: Type.Integer(),
    sha256: Type.String(),
    url: Type.String({ description: 'download path, with the same bearer token' }),
    createdAt: Timestamp,
  },
  { $id: 'TemplateFile' },
);

const templateExample = {
  ...createExample,
  id: TEMPLATE_ID,
  private: false,
  assignees: [{ id: USER_ID, name: 'Ada Admin', email: 'ada@example.test' }],
  customerId: null,
  projectId: null,
  milestoneId: null,
  files: [
    {
      id: '4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c',
      filename: 'price-list.pdf',
      contentType: 'application/pdf',
      sizeBytes: 48213,
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      url: `/v1/task-templates/${TEMPLATE_ID}/files/4f5a6b7c-8d9e-4f0a-9b1c-2d3e4f5a6b7c`,
      createdAt: '2026-02-01T08:00:00.000Z',
    },
  ],
  createdBy: USER_ID,
  createdAt: '2026-02-01T08:00:00.000Z',
  updatedAt: '2026-02-01T08:00:00.000Z',
};

export const TemplateSchema = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    title: Type.String(),
    description: Type.String(),
    status: Status,
    dueOffset: Nullable({ ...DueOffset, description: 'normalized, e.g. "+1 week", "+1 day 3 hours"' }),
    priority: StringEnum(PRIORITIES),
    private: Type.Boolean(),
    tags: Type.Array(Type.String()),
    assignees: Type.Array(Assignee),
    customerId: Nullable(Uuid),
    projectId: Nullable(Uuid),
    milestoneId: Nullable(Uuid),
    files: Type.Array(Type.Ref(TemplateFileSchema)),
    createdBy: Nullable(Uuid),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'TaskTemplate', examples: [templateExample] },
);

export const ListTemplatesQuery = PageQuery(
  { q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'part of the template name, any case' })) },
  { examples: [{ q: 'follow-up' }] },
);

export const TemplateList = PageOf(Type.Ref(TemplateSchema), { examples: [{ items: [templateExample], nextCursor: null }] });

export const TemplateFileParams = Type.Object({ id: Uuid, fileId: Uuid });

export const TemplateFilesAdded = Type.Object(
  { files: Type.Array(Type.Ref(TemplateFileSchema)) },
  { examples: [{ files: templateExample.files }] },
);

export const FromTemplateParams = Type.Object({ templateId: Uuid });

/** Any field of POST /v1/tasks, and the status, replacing the template's. */
export const FromTemplateBody = Type.Object(
  { title: Type.Optional(Title), status: Type.Optional(Status), ...editable },
  {
    additionalProperties: false,
    examples: [{}, { title: 'Send the proposal to Harbour Hotels', customerId: '5d0c1f2e-8a4b-4c1d-9e3f-2a1b0c9d8e7f' }],
  },
);
