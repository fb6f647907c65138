import { Type } from '@sinclair/typebox';
import { Name, Nullable, PageOf, PageQuery, Timestamp, Uuid } from './common';
import { Counts } from './tasks';

const EXAMPLE_ID = '5d0c1f2e-8a4b-4c1d-9e3f-2a1b0c9d8e7f';
const SITE_ID = '7a9e2b1c-3d4f-4e5a-8b6c-1d2e3f4a5b6c';

const contact = {
  email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 320 }))),
  phone: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 50 }))),
  address: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 1000 }))),
};

export const CreateCustomerBody = Type.Object(
  { name: Name(300), ...contact },
  { additionalProperties: false, examples: [{ name: 'Harbour Hotels Ltd', email: 'facilities@harbourhotels.test', phone: '+44 20 7946 0000' }] },
);

export const PatchCustomerBody = Type.Object(
  { name: Type.Optional(Name(300)), ...contact },
  { additionalProperties: false, minProperties: 1, examples: [{ phone: null, address: '1 Quay Street, Bristol' }] },
);

const customerProps = {
  id: Uuid,
  name: Type.String(),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String()),
  address: Nullable(Type.String()),
  integrationId: Nullable({ ...Uuid, description: 'set on customers imported from an FSM: the integration' }),
  externalId: Nullable(Type.String({ description: "the FSM's id of its client record" })),
  createdAt: Timestamp,
  updatedAt: Timestamp,
};

const customerExample = {
  id: EXAMPLE_ID,
  name: 'Harbour Hotels Ltd',
  email: 'facilities@harbourhotels.test',
  phone: '+44 20 7946 0000',
  address: null,
  integrationId: null,
  externalId: null,
  createdAt: '2026-03-02T10:00:00.000Z',
  updatedAt: '2026-03-02T10:00:00.000Z',
};

export const CustomerSchema = Type.Object(customerProps, { $id: 'Customer', examples: [customerExample] });

export const LinkedCustomer = Type.Object(
  { ...customerProps, linkedAt: Timestamp },
  { description: 'a customer record linked to this one (a parent company, a site)' },
);

const countsExample = { all: 4, open: 2, in_progress: 1, waiting: 0, completed: 1, cancelled: 0, archived: 0 };

export const CustomerDetail = Type.Object(
  {
    ...customerProps,
    links: Type.Array(LinkedCustomer),
    taskCounts: { ...Counts, description: "the customer's own tasks per status tab (those the caller may see)" },
    relatedTaskCounts: {
      ...Counts,
      description: 'the same with the tasks of linked customers added: what GET /v1/tasks?customerId=…&related=true counts',
    },
  },
  {
    examples: [
      {
        ...customerExample,
        links: [{ ...customerExample, id: SITE_ID, name: 'Harbour Hotels – Bristol site', linkedAt: '2026-03-02T10:05:00.000Z' }],
        taskCounts: countsExample,
        relatedTaskCounts: { ...countsExample, all: 6, open: 4 },
      },
    ],
  },
);

export const ListCustomersQuery = PageQuery(
  { q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'part of the name, any case' })) },
  { examples: [{ q: 'harbour', limit: 50 }] },
);

export const CustomerList = PageOf(Type.Ref(CustomerSchema), { examples: [{ items: [customerExample], nextCursor: null }] });

export const LinkBody = Type.Object(
  { customerId: { ...Uuid, description: 'the customer record to link to this one; links are symmetric' } },
  { additionalProperties: false, examples: [{ customerId: SITE_ID }] },
);

export const LinkParams = Type.Object({ id: Uuid, customerId: Uuid });

export const LinkedCustomerList = Type.Object(
  { items: Type.Array(LinkedCustomer) },
  { examples: [{ items: [{ ...customerExample, id: SITE_ID, name: 'Harbour Hotels – Bristol site', linkedAt: '2026-03-02T10:05:00.000Z' }] }] },
);
