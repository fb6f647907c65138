/**
 * An OpenAI-compatible chat completions API as the AI provider
 * (AI_PROVIDER=openai): OpenAI itself, or any server that speaks its
 * `POST {baseUrl}/chat/completions` shape. One request per call, no retries
 * here: the pipeline's activity retries, and every failure becomes an
 * AiError whose kind says whether a retry can help. The key goes only into
 * the Authorization header, never into a message.
 */
import { parseRetryAfter } from '../connectors/errors';
import { AiError, type AiProvider, type AiSessionInput, type Procedure } from './types';

export interface OpenAiOptions {
  baseUrl: string;
  apiKey: string;
  model: string;
  timeoutMs: number;
}

const PROCEDURES_PROMPT = [
  'You extract work procedures from a field engineer’s work session.',
  'Answer with a JSON object {"procedures": [{"title": string, "steps": [string], "tools": [string]}]}:',
  'each procedure the session showed, its steps in order, and the tools it needs.',
  'Use only what the session says. No procedures shown: {"procedures": []}.',
].join(' ');

const SUMMARY_PROMPT = [
  'You summarise a field engineer’s work session for the job record.',
  'Answer with two or three plain sentences: what was done, how it went, anything to follow up. No markdown.',
].join(' ');

interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

/** The session as the user message: the fields the provider may use, missing ones left out. */
function describe(session: AiSessionInput): string {
  return JSON.stringify(Object.fromEntries(Object.entries(session).filter(([, v]) => v !== null && v !== '' && !(Array.isArray(v) && v.length === 0))));
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function parseProcedures(content: string): Procedure[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    throw new AiError('bad_response', 'procedures answer is not JSON');
  }
  const list = (parsed as { procedures?: unknown } | null)?.procedures;
  if (!Array.isArray(list)) throw new AiError('bad_response', 'procedures answer has no "procedures" array');
  return list.map((p: { title?: unknown; steps?: unknown; tools?: unknown }, i) => {
    if (typeof p?.title !== 'string' || !isStrings(p.steps) || (p.tools !== undefined && !isStrings(p.tools))) {
      throw new AiError('bad_response', `procedure ${i} is not {title, steps[], tools[]}`);
    }
    return { title: p.title, steps: p.steps, tools: p.tools ?? [] };
  });
}

/** The error an answer's HTTP status means; the vendor's message is kept except for auth refusals (it may echo part of the key). */
async function errorFor(res: Response): Promise<AiError> {
  const body = (await res.json().catch(() => null)) as { error?: { message?: unknown } } | null;
  const vendor = typeof body?.error?.message === 'string' ? `: ${body.error.message.slice(0, 300)}` : '';
  if (res.status === 401 || res.status === 403) return new AiError('unauthorized', `AI provider refused the API key (${res.status})`);
  if (res.status === 429) return new AiError('rate_limited', `AI provider rate limit (429)${vendor}`, parseRetryAfter(res.headers.get('retry-after')));
  if (res.status === 408 || res.status >= 500) return new AiError('unavailable', `AI provider unavailable (${res.status})${vendor}`);
  return new AiError('rejected', `AI provider rejected the request (${res.status})${vendor}`);
}

export function createOpenAiProvider(options: OpenAiOptions): AiProvider {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;

  /** One chat completion; returns the assistant message's content. */
  async function complete(messages: ChatMessage[], json: boolean): Promise<string> {
    let res: Response;
    let body: { choices?: { message?: { content?: unknown } }[] };
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: options.model, messages, ...(json ? { response_format: { type: 'json_object' } } : {}) }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      if (!res.ok) throw await errorFor(res);
      body = (await res.json()) as typeof body;
    } catch (err) {
      if (err instanceof AiError) throw err;
      const name = (err as Error).name;
      if (name === 'SyntaxError') throw new AiError('bad_response', 'AI provider answered with a body that is not JSON');
      const reason = name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (err as Error).message;
      throw new AiError('unavailable', `AI provider unreachable: ${reason}`);
    }
    const content = body?.choices?.[0]?.message?.content;
    if (typeof content !== 'string' || content.trim() === '') throw new AiError('bad_response', 'AI provider answered without message content');
    return content;
  }

  return {
    async extractProcedures(session) {
      return parseProcedures(await complete([{ role: 'system', content: PROCEDURES_PROMPT }, { role: 'user', content: describe(session) }], true));
    },
    async summarise(session) {
      return (await complete([{ role: 'system', content: SUMMARY_PROMPT }, { role: 'user', content: describe(session) }], false)).trim();
    },
  };
}
