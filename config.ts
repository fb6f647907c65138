/**
 * The one place that reads process.env. Every setting is parsed and checked
 * here once; a bad value stops the process at start with a message naming it.
 */
import { COMMUSOFT_DEFAULTS, type CommusoftConfig } from './connectors/commusoft';
import { JOBBER_DEFAULTS } from './connectors/jobber';
import { SERVICEM8_DEFAULTS } from './connectors/servicem8';

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** TLS on when an API key or client certificate is configured, or TEMPORAL_TLS=true. */
  tls: boolean;
  apiKey?: string;
  clientCertPath?: string;
  clientKeyPath?: string;
}

export interface Config {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  databaseUrl?: string;
  databasePoolMax: number;
  temporal: TemporalConfig;
  blobDir: string;
  logLevel: string;
  /** Largest accepted attachment, per file. */
  attachmentMaxBytes: number;
  /** A task row without its workflow for this long is repaired by the reconciler. */
  reconcileGraceSeconds: number;
  /** How often the reconciler schedule runs. */
  reconcileIntervalSeconds: number;
  /** Lifecycle workflows continue-as-new beyond this many history events. */
  taskHistoryLimit: number;
  /** AES-256-GCM key for integration credentials (base64, 32 bytes). */
  credentialsKey: string;
  /** True when credentialsKey is the built-in development key (never in production). */
  credentialsKeyIsDevKey: boolean;
  /** Where this API is reachable from outside: OAuth redirect and webhook URLs are built on it. */
  publicUrl: string;
  fsm: FsmConfig;
  sessions: SessionsConfig;
  writeback: WritebackConfig;
  ai: AiConfig;
}

export interface SessionsConfig {
  /** A running session with no word from its device for this long is failed as abandoned. */
  idleTimeoutSeconds: number;
  /** Largest accepted recording (thumbnails: attachmentMaxBytes). */
  recordingMaxBytes: number;
  /** HMAC key of signed recording URLs (GET /v1/recordings/…). */
  recordingUrlKey: string;
  /** How long a signed recording URL works. */
  recordingUrlTtlSeconds: number;
}

export interface WritebackConfig {
  /** Cap on the wait between two tries of a job note. */
  maxBackoffSeconds: number;
  /**
   * Longest one try may run. A worker that dies mid-try is noticed sooner,
   * by the try's heartbeat (at most 30 s, never more than this).
   */
  attemptTimeoutSeconds: number;
  /** A job note not posted after this long ends as failed. */
  deadlineSeconds: number;
}

export interface AiConfig {
  /** builtin: deterministic, from the session's steps, tools, notes and transcript. openai: an OpenAI-compatible chat completions API. */
  provider: 'builtin' | 'openai';
  baseUrl?: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
  /** Tries per AI step before the pipeline goes on without it. */
  maxAttempts: number;
}

/** An FSM reached through OAuth2: its app's client and its URLs (defaults: the vendor's; tests point them at fakes). */
export interface OAuthFsmConfig {
  clientId: string;
  clientSecret: string;
  baseUrl: string;
  authorizeUrl: string;
  tokenUrl: string;
}

/** The Commusoft connector's guessed paths and parameters (connectors/commusoft COMMUSOFT_DEFAULTS), each overridable. */
export type CommusoftOverrides = Partial<Omit<CommusoftConfig, 'baseUrl' | 'statusMap' | 'listQuery'>>;

export interface FsmConfig {
  servicem8: OAuthFsmConfig;
  /**
   * Simpro's URLs belong to each tenant's build (acme.simprosuite.com), so
   * they come from the integration; set here, they replace every build's
   * (staging and tests point them at one fake build).
   */
  simpro: { clientId: string; clientSecret: string; baseUrl?: string; authorizeUrl?: string; tokenUrl?: string };
  jobber: OAuthFsmConfig & { graphqlVersion: string };
  /** Commusoft logs in with per-tenant credentials (no OAuth); clientId is the default for a login that names none. */
  commusoft: { clientId: string; clientSecret: string; baseUrl: string; options: CommusoftOverrides };
  /** How often an integration's sync lists every job instead of the changed ones, to find jobs deleted in the FSM. */
  fullSyncIntervalSeconds: number;
}

type Env = Record<string, string | undefined>;

export class ConfigError extends Error {}

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigError(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function url(env: Env, name: string, fallback: string): string;
function url(env: Env, name: string, fallback?: undefined): string | undefined;
function url(env: Env, name: string, fallback?: string): string | undefined {
  const raw = env[name] || fallback;
  if (raw === undefined) return undefined;
  try {
    const parsed = new URL(raw);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  return raw.replace(/\/+$/, '');
}

/**
 * A fixed key for development and tests only, so `npm run dev` needs no
 * setup. INSECURE: it is public (it is right here). Production refuses to
 * start without CREDENTIALS_KEY.
 */
export const INSECURE_DEV_CREDENTIALS_KEY = Buffer.from('taskhub-INSECURE-dev-key-32bytes').toString('base64');

function credentialsKey(env: Env, nodeEnv: Config['env']): { key: string; isDevKey: boolean } {
  const raw = env.CREDENTIALS_KEY;
  if (!raw) {
    if (nodeEnv === 'production') throw new ConfigError('CREDENTIALS_KEY is required in production (openssl rand -base64 32)');
    return { key: INSECURE_DEV_CREDENTIALS_KEY, isDevKey: true };
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(raw) || Buffer.from(raw, 'base64').length !== 32) {
    throw new ConfigError('CREDENTIALS_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)');
  }
  if (nodeEnv === 'production' && raw === INSECURE_DEV_CREDENTIALS_KEY) throw new ConfigError('CREDENTIALS_KEY is the public development key');
  return { key: raw, isDevKey: raw === INSECURE_DEV_CREDENTIALS_KEY };
}

const envName = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

/** COMMUSOFT_<KEY> for each guessed path or parameter name of COMMUSOFT_DEFAULTS (COMMUSOFT_JOBS_PATH, …). */
function commusoftOverrides(env: Env): CommusoftOverrides {
  const overrides: Record<string, string | number | null> = {};
  for (const [key, value] of Object.entries(COMMUSOFT_DEFAULTS)) {
    const name = `COMMUSOFT_${envName(key)}`;
    if (key === 'baseUrl' || env[name] === undefined || env[name] === '') continue;
    if (typeof value === 'number') overrides[key] = int(env, name, value, 0);
    else if (typeof value === 'string' || key === 'listKey') overrides[key] = env[name]!;
  }
  return overrides as CommusoftOverrides;
}

function oauthFsm(env: Env, prefix: string, defaults: { baseUrl: string; authorizeUrl: string; tokenUrl: string }): OAuthFsmConfig {
  return {
    clientId: env[`${prefix}_CLIENT_ID`] ?? '',
    clientSecret: env[`${prefix}_CLIENT_SECRET`] ?? '',
    baseUrl: url(env, `${prefix}_BASE_URL`, defaults.baseUrl),
    authorizeUrl: url(env, `${prefix}_AUTHORIZE_URL`, defaults.authorizeUrl),
    tokenUrl: url(env, `${prefix}_TOKEN_URL`, defaults.tokenUrl),
  };
}

function fsmConfig(env: Env): FsmConfig {
  return {
    servicem8: oauthFsm(env, 'SERVICEM8', SERVICEM8_DEFAULTS),
    simpro: {
      clientId: env.SIMPRO_CLIENT_ID ?? '',
      clientSecret: env.SIMPRO_CLIENT_SECRET ?? '',
      baseUrl: url(env, 'SIMPRO_BASE_URL'),
      authorizeUrl: url(env, 'SIMPRO_AUTHORIZE_URL'),
      tokenUrl: url(env, 'SIMPRO_TOKEN_URL'),
    },
    jobber: { ...oauthFsm(env, 'JOBBER', JOBBER_DEFAULTS), graphqlVersion: env.JOBBER_GRAPHQL_VERSION || JOBBER_DEFAULTS.graphqlVersion },
    commusoft: {
      clientId: env.COMMUSOFT_CLIENT_ID ?? '',
      clientSecret: env.COMMUSOFT_CLIENT_SECRET ?? '',
      baseUrl: url(env, 'COMMUSOFT_BASE_URL', COMMUSOFT_DEFAULTS.baseUrl),
      options: commusoftOverrides(env),
    },
    fullSyncIntervalSeconds: int(env, 'FSM_FULL_SYNC_INTERVAL_SECONDS', 86_400, 60),
  };
}

/** Public, like INSECURE_DEV_CREDENTIALS_KEY: production refuses to start without RECORDING_URL_KEY. */
export const INSECURE_DEV_RECORDING_URL_KEY = 'taskhub-INSECURE-dev-recording-url-key';

function recordingUrlKey(env: Env, nodeEnv: Config['env']): string {
  const raw = env.RECORDING_URL_KEY;
  if (!raw) {
    if (nodeEnv === 'production') throw new ConfigError('RECORDING_URL_KEY is required in production (openssl rand -base64 32)');
    return INSECURE_DEV_RECORDING_URL_KEY;
  }
  if (raw.length < 32) throw new ConfigError('RECORDING_URL_KEY must be at least 32 characters (openssl rand -base64 32)');
  return raw;
}

function aiConfig(env: Env): AiConfig {
  const provider = env.AI_PROVIDER || 'builtin';
  if (provider !== 'builtin' && provider !== 'openai') throw new ConfigError(`AI_PROVIDER must be builtin or openai, got ${JSON.stringify(provider)}`);
  const baseUrl = provider === 'openai' ? url(env, 'AI_BASE_URL', 'https://api.openai.com/v1') : url(env, 'AI_BASE_URL');
  const apiKey = env.AI_API_KEY || undefined;
  if (provider === 'openai' && !apiKey) throw new ConfigError('AI_API_KEY is required when AI_PROVIDER=openai');
  return {
    provider,
    baseUrl,
    apiKey,
    model: env.AI_MODEL || 'gpt-4o-mini',
    timeoutMs: int(env, 'AI_TIMEOUT_MS', 60_000, 1),
    maxAttempts: int(env, 'AI_MAX_ATTEMPTS', 3, 1),
  };
}

function bool(env: Env, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = env.NODE_ENV ?? 'development';
  if (nodeEnv !== 'development' && nodeEnv !== 'test' && nodeEnv !== 'production') {
    throw new ConfigError(`NODE_ENV must be development, test or production, got ${JSON.stringify(nodeEnv)}`);
  }
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const clientCertPath = env.TEMPORAL_TLS_CERT || undefined;
  const clientKeyPath = env.TEMPORAL_TLS_KEY || undefined;
  if (Boolean(clientCertPath) !== Boolean(clientKeyPath)) {
    throw new ConfigError('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together');
  }
  const port = int(env, 'PORT', 3000);
  const host = env.HOST || '127.0.0.1';
  const key = credentialsKey(env, nodeEnv);
  return {
    env: nodeEnv,
    port,
    host,
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolMax: int(env, 'DATABASE_POOL_MAX', 10, 1),
    temporal: {
      address: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
      namespace: env.TEMPORAL_NAMESPACE || 'default',
      taskQueue: env.TEMPORAL_TASK_QUEUE || 'task-hub',
      tls: bool(env, 'TEMPORAL_TLS') ?? Boolean(apiKey || clientCertPath),
      apiKey,
      clientCertPath,
      clientKeyPath,
    },
    blobDir: env.BLOB_DIR || '.data/blobs',
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'warn' : 'info'),
    attachmentMaxBytes: int(env, 'ATTACHMENT_MAX_BYTES', 10 * 1024 * 1024, 1),
    reconcileGraceSeconds: int(env, 'RECONCILE_GRACE_SECONDS', 60),
    reconcileIntervalSeconds: int(env, 'RECONCILE_INTERVAL_SECONDS', 60, 1),
    taskHistoryLimit: int(env, 'TASK_HISTORY_LIMIT', 10_000, 20),
    credentialsKey: key.key,
    credentialsKeyIsDevKey: key.isDevKey,
    publicUrl: url(env, 'PUBLIC_URL', `http://${host}:${port}`),
    fsm: fsmConfig(env),
    sessions: {
      idleTimeoutSeconds: int(env, 'SESSION_IDLE_TIMEOUT_SECONDS', 4 * 3600, 1),
      recordingMaxBytes: int(env, 'RECORDING_MAX_BYTES', 4 * 1024 ** 3, 1),
      recordingUrlKey: recordingUrlKey(env, nodeEnv),
      // Seed 002: the note's video link is short-lived by default; raise it if dispatch reads notes days later.
      recordingUrlTtlSeconds: int(env, 'RECORDING_URL_TTL_SECONDS', 3600, 1),
    },
    writeback: {
      maxBackoffSeconds: int(env, 'WRITEBACK_MAX_BACKOFF_SECONDS', 300, 1),
      attemptTimeoutSeconds: int(env, 'WRITEBACK_ATTEMPT_TIMEOUT_SECONDS', 300, 1),
      deadlineSeconds: int(env, 'WRITEBACK_DEADLINE_SECONDS', 7 * 86_400, 1),
    },
    ai: aiConfig(env),
  };
}

export function requireDatabaseUrl(config: Config): string {
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is required (npm run dev starts an embedded PostgreSQL instead)');
  return config.databaseUrl;
}
