import pino, { type Logger } from 'pino';
import type { Config } from './config';

/** Paths pino never prints: bearer tokens and anything that looks like a secret. */
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.token',
  '*.adminToken',
  '*.password',
  '*.secret',
  '*.accessToken',
  '*.refreshToken',
];

export function loggerOptions(config: Pick<Config, 'logLevel'>): pino.LoggerOptions {
  return { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' } };
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino(loggerOptions(config));
}
