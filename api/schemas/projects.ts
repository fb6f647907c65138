import { Type } from '@sinclair/typebox';
import { DateOnly, Name, Nullable, PageOf, PageQuery, Timestamp, Uuid } from './common';
import { Counts } from './tasks';

const PROJECT_ID = '3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a9f';
const MILESTONE_ID = '9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f';
const countsExample = { all: 3, open: 1, in_progress: 1, waiting: 0, completed: 1, cancelled: 0, archived: 0 };

export const CreateProjectBody = Type.Object(
  {
    name: Name(300),
    description: Type.Optional(Type.String({ maxLength: 20_000 })),
    customerId: Type.Optional(Nullable({ ...Uuid, description: 'the customer the project is for' })),
  },
  { additionalProperties: false, examples: [{ name: 'Spring conference 2026', description: 'Venue, speakers, catering' }] },
);

export const PatchProjectBody = Type.Object(
  {
    name: Type.Optional(Name(300)),
    description: Type.Optional(Type.String({ maxLength: 20_000 })),
    customerId: Type.Optional(Nullable(Uuid)),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ customerId: null }] },
);

const projectProps = {
  id: Uuid,
  name: Type.String(),
  description: Type.String(),
  customerId: Nullable(Uuid),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};
const projectExample = {
  id: PROJECT_ID,
  name: 'Spring conference 2026',
  description: 'Venue, speakers, catering',
  customerId: null,
  createdAt: '2026-01-10T09:00:00.000Z',
  updatedAt: '2026-01-10T09:00:00.000Z',
};

const milestoneProps = {
  id: Uuid,
  projectId: Uuid,
  name: Type.String(),
  dueDate: Nullable(DateOnly),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};
const milestoneExample = {
  id: MILESTONE_ID,
  projectId: PROJECT_ID,
  name: 'Venue booked',
  dueDate: '2026-02-15',
  createdAt: '2026-01-10T09:05:00.000Z',
  updatedAt: '2026-01-10T09:05:00.000Z',
};

export const ProjectSchema = Type.Object(projectProps, { $id: 'Project', examples: [projectExample] });
export const MilestoneSchema = Type.Object(milestoneProps, { $id: 'Milestone', examples: [milestoneExample] });

export const ProjectDetail = Type.Object(
  {
    ...projectProps,
    milestones: Type.Array(Type.Ref(MilestoneSchema), { description: 'the next due first, undated last' }),
    taskCounts: { ...Counts, description: "the project's tasks per status tab (those the caller may see)" },
  },
  { examples: [{ ...projectExample, milestones: [milestoneExample], taskCounts: countsExample }] },
);

export const MilestoneDetail = Type.Object(
  { ...milestoneProps, taskCounts: { ...Counts, description: "the milestone's tasks per status tab (those the caller may see)" } },
  { examples: [{ ...milestoneExample, taskCounts: countsExample }] },
);

export const ListProjectsQuery = PageQuery(
  {
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'part of the name, any case' })),
    customerId: Type.Optional({ ...Uuid, description: "the customer's projects" }),
  },
  { examples: [{ q: 'conference' }] },
);

export const ProjectList = PageOf(Type.Ref(ProjectSchema), { examples: [{ items: [projectExample], nextCursor: null }] });

export const CreateMilestoneBody = Type.Object(
  { name: Name(300), dueDate: Type.Optional(Nullable(DateOnly)) },
  { additionalProperties: false, examples: [{ name: 'Venue booked', dueDate: '2026-02-15' }] },
);

export const PatchMilestoneBody = Type.Object(
  { name: Type.Optional(Name(300)), dueDate: Type.Optional(Nullable(DateOnly)) },
  { additionalProperties: false, minProperties: 1, examples: [{ dueDate: '2026-02-28' }] },
);

export const MilestoneList = Type.Object({ items: Type.Array(Type.Ref(MilestoneSchema)) }, { examples: [{ items: [milestoneExample] }] });
