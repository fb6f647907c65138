/**
 * Everything an activity needs to call an integration's FSM: its connector,
 * a paced TokenSource over the credential store, and its connection
 * settings. Credentials stay in this process (token-manager.ts).
 */
import type { ConnectorRegistry, IntegrationTarget } from '../connectors/registry';
import type { ConnectionSettings, FsmConnector, TokenSource } from '../connectors/types';
import type { CredentialCipher } from '../db/crypto';
import type { Sql } from '../db/sql';
import { type RateLimiter, paced } from './rate-limiter';
import { createTokenSource } from './token-manager';

export interface FsmAccessDeps {
  sql: Sql;
  cipher: CredentialCipher;
  registry: ConnectorRegistry;
  limiter: RateLimiter;
}

export interface FsmAccess {
  connector: FsmConnector;
  auth: TokenSource;
  settings: ConnectionSettings;
  /** The connection generation of the credentials `auth` last used (null before it read any): what a failure was seen with. */
  generation(): number | null;
}

export function fsmAccess(deps: FsmAccessDeps, integration: IntegrationTarget & { tenantId: string }): FsmAccess {
  const { registry } = deps;
  const tokens = createTokenSource(deps, {
    tenantId: integration.tenantId,
    integrationId: integration.id,
    oauth: registry.oauthSettings(integration),
    relogin: registry.relogin(integration),
  });
  return {
    connector: registry.connector(integration.provider),
    auth: paced(tokens, deps.limiter, registry.rateRule(integration)),
    settings: registry.connectionSettings(integration),
    generation: tokens.generation,
  };
}
