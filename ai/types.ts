/**
 * The AI provider behind the post-session pipeline: it turns what a session
 * recorded into procedures and a summary. One interface, so the deterministic
 * built-in default (ai/builtin.ts) and an OpenAI-compatible API
 * (ai/openai.ts) are interchangeable by configuration (AI_PROVIDER).
 */

/** What a provider reads: the session's outcome fields and the task it was for. */
export interface AiSessionInput {
  taskTitle: string;
  taskDescription: string | null;
  stepsCompleted: number | null;
  toolsUsed: string[];
  notes: string | null;
  transcript: string | null;
  /** 0–100 */
  score: number | null;
  durationSeconds: number | null;
}

/** A procedure the session showed: ordered steps and the tools they need. Stored as JSON in sessions.procedures. */
export interface Procedure {
  title: string;
  steps: string[];
  tools: string[];
}

export interface AiProvider {
  extractProcedures(session: AiSessionInput): Promise<Procedure[]>;
  summarise(session: AiSessionInput): Promise<string>;
}

export const AI_ERROR_KINDS = [
  /** 429: try again after `retryAfterMs`. */
  'rate_limited',
  /** 5xx, timeouts, network errors: try again with backoff. */
  'unavailable',
  /** 401/403: the key is wrong or lacks access; retrying cannot help. */
  'unauthorized',
  /** 400 and other 4xx: the request was refused; retrying sends the same. */
  'rejected',
  /** The answer was not in the shape asked for. */
  'bad_response',
] as const;
export type AiErrorKind = (typeof AI_ERROR_KINDS)[number];

/** What every provider throws; the pipeline's activities map it to an ApplicationFailure of the same `type`. */
export class AiError extends Error {
  constructor(
    readonly kind: AiErrorKind,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'AiError';
  }

  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'unavailable';
  }
}
