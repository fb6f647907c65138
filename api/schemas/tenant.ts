import { Type } from '@sinclair/typebox';
import { Name, Timestamp, Uuid } from './common';

const TimeZone = Type.String({
  minLength: 1,
  maxLength: 64,
  description: "an IANA time zone, e.g. Europe/London: template due offsets and date-only due dates follow it",
});

export const TenantSchema = Type.Object(
  { id: Uuid, name: Type.String(), timeZone: TimeZone, createdAt: Timestamp },
  {
    examples: [
      { id: '8e7d6c5b-4a39-4f2e-8d1c-0b9a8f7e6d5c', name: 'Harbour Events', timeZone: 'Europe/London', createdAt: '2026-01-01T00:00:00.000Z' },
    ],
  },
);

export const PatchTenantBody = Type.Object(
  { name: Type.Optional(Name(200)), timeZone: Type.Optional(TimeZone) },
  { additionalProperties: false, minProperties: 1, examples: [{ timeZone: 'Europe/Berlin' }] },
);
