/**
 * Provisioning: `npm run admin -- <command> [options]`, JSON on stdout.
 *
 *   tenant:create --name N [--admin-email E] [--admin-name N] [--time-zone Z]
 *                                      → {tenantId, adminUserId, adminToken}
 *   user:create --tenant T --email E --name N --role admin|engineer
 *                                      → {userId, token}
 *   token:create --tenant T [--user U] [--name N]
 *                                      → {tokenId, token}  (no --user: a tenant API key)
 *   token:revoke --tenant T --token-id I → {revoked}
 *
 * Tokens are shown here once; only their SHA-256 is stored.
 */
import { parseArgs } from 'node:util';
import { loadConfig, requireDatabaseUrl } from '../config';
import { createTenant, createToken, createUser, revokeToken } from '../db/repositories/accounts';
import { createSql, type Sql } from '../db/sql';

type Options = Record<string, string | undefined>;

function need(opts: Options, name: string): string {
  const value = opts[name];
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

class UsageError extends Error {}

export async function runAdminCommand(sql: Sql, command: string, opts: Options): Promise<unknown> {
  switch (command) {
    case 'tenant:create':
      return sql.begin(async (tx) => {
        const tenant = await createTenant(tx, need(opts, 'name'), opts['time-zone'] ?? 'UTC');
        const admin = await createUser(tx, tenant.id, {
          email: opts['admin-email'] ?? 'admin@example.com',
          name: opts['admin-name'] ?? 'Admin',
          role: 'admin',
        });
        const { token } = await createToken(tx, tenant.id, { userId: admin.id, name: 'admin' });
        return { tenantId: tenant.id, adminUserId: admin.id, adminToken: token };
      });
    case 'user:create': {
      const role = need(opts, 'role');
      if (role !== 'admin' && role !== 'engineer') throw new UsageError('--role must be admin or engineer');
      return sql.begin(async (tx) => {
        const tenantId = need(opts, 'tenant');
        const user = await createUser(tx, tenantId, { email: need(opts, 'email'), name: need(opts, 'name'), role });
        const { token } = await createToken(tx, tenantId, { userId: user.id, name: role });
        return { userId: user.id, token };
      });
    }
    case 'token:create': {
      const { id, token } = await createToken(sql, need(opts, 'tenant'), { userId: opts.user, name: opts.name });
      return { tokenId: id, token };
    }
    case 'token:revoke':
      return { revoked: await revokeToken(sql, need(opts, 'tenant'), need(opts, 'token-id')) };
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; see scripts/admin.ts for the list`);
  }
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: Object.fromEntries(
      ['name', 'admin-email', 'admin-name', 'time-zone', 'tenant', 'email', 'role', 'user', 'token-id'].map((o) => [o, { type: 'string' }]),
    ) as Record<string, { type: 'string' }>,
  });
  const sql = createSql(requireDatabaseUrl(loadConfig()), { max: 2 });
  try {
    const result = await runAdminCommand(sql, positionals[0] ?? '', values as Options);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await sql.end();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(JSON.stringify({ error: err instanceof UsageError ? 'usage' : 'failed', message: (err as Error).message }));
    process.exit(2);
  });
}
