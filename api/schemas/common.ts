import { type TProperties, type TSchema, Type } from '@sinclair/typebox';

/** A string enum that OpenAPI shows as `enum`, typed as the union of its values. */
export function StringEnum<const T extends readonly string[]>(values: T, options: { description?: string; default?: T[number] } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export const Uuid = Type.String({ format: 'uuid' });
/** A timestamp in a request: RFC 3339. */
export const DateTime = Type.String({ format: 'date-time' });
/** A calendar date without a time: YYYY-MM-DD. */
export const DateOnly = Type.String({ format: 'date', description: 'a calendar date, YYYY-MM-DD' });
/** A timestamp in a response: Dates from the database are serialized as RFC 3339. */
export const Timestamp = Type.Unsafe<Date | string>({ type: 'string', format: 'date-time' });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'machine-readable code, e.g. validation_failed, not_found, invalid_transition' }),
    message: Type.String({ description: 'what was wrong, for a person' }),
    details: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    requestId: Type.String(),
  },
  { $id: 'Error' },
);

/** The error responses a route documents, each with the shared body. */
export function errors(...codes: number[]): Record<number, TSchema> {
  return Object.fromEntries(codes.map((c) => [c, Type.Ref(ErrorBody)]));
}

export const IdParams = Type.Object({ id: Uuid });

/** A name shown in lists: not blank. */
export const Name = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '\\S', description: 'required, not blank' });

/** The query of a keyset-paged list; `extra` adds its filters. */
export function PageQuery<P extends TProperties>(extra: P, options: { examples?: unknown[] } = {}) {
  return Type.Object(
    {
      ...extra,
      cursor: Type.Optional(Type.String({ maxLength: 1000, description: 'nextCursor of the previous page' })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    },
    { additionalProperties: false, ...options },
  );
}

/** A keyset page of `item`. */
export const PageOf = <T extends TSchema>(item: T, options: { examples?: unknown[] } = {}) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String({ description: 'pass as cursor for the next page; null on the last' })) }, options);
