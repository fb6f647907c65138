import postgres from 'postgres';

/** One postgres.js instance per process; column names map snake_case <-> camelCase. */
export type Sql = postgres.Sql;
/** A transaction or the pool: repositories accept either. */
export type Db = Sql | postgres.TransactionSql;

export function createSql(url: string, options: { max?: number } = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    transform: postgres.camel,
    onnotice: () => {},
    connection: { application_name: 'task-hub' },
  });
}

/** PostgreSQL error codes we map at the edges. */
export const PG = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  invalidTextRepresentation: '22P02',
} as const;

export function pgCode(err: unknown): string | undefined {
  return err instanceof postgres.PostgresError ? err.code : undefined;
}
