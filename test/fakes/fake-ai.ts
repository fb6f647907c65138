/**
 * A fake OpenAI-compatible API: a real HTTP server on loopback answering
 * `POST /v1/chat/completions` in OpenAI's request and response shapes (and
 * its error bodies), with a log of every request and fault switches: 5xx,
 * 429 with Retry-After, malformed content, a slow answer.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';

export interface ChatRequest {
  authorization: string | undefined;
  body: {
    model?: string;
    messages?: { role: string; content: string }[];
    response_format?: { type: string };
  };
}

/** The two kinds of request the pipeline makes: procedures ask for a JSON object, summaries for text. */
export type RequestKind = 'procedures' | 'summary';

type Fault = ({ kind: 'status'; status: number } | { kind: 'rate_limit'; retryAfterSeconds: number } | { kind: 'malformed' }) & {
  remaining: number;
  /** Only requests of this kind (any, when unset). */
  on?: RequestKind;
};

const kindOf = (body: ChatRequest['body']): RequestKind => (body.response_format?.type === 'json_object' ? 'procedures' : 'summary');

const ERROR_BODIES: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: "Invalid value for 'messages'.", type: 'invalid_request_error', code: null },
  401: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' },
  429: { message: 'Rate limit reached for requests.', type: 'requests', code: 'rate_limit_exceeded' },
  500: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', code: null },
};

export class FakeAi {
  readonly app: FastifyInstance;
  url = '';
  readonly requests: ChatRequest[] = [];
  /** What a json_object request (procedures) is answered with. */
  procedures: unknown = { procedures: [] };
  /** What any other request (the summary) is answered with. */
  summary = 'The engineer finished the job.';
  /** Every answer is 500 while this is set (an outage). */
  down = false;
  /** Every answer waits this long first. */
  delayMs = 0;
  private faults: Fault[] = [];

  constructor(readonly apiKey = `sk-test-${randomUUID()}`) {
    this.app = Fastify({ logger: false });
    this.app.post('/v1/chat/completions', async (req, reply) => {
      const body = (req.body ?? {}) as ChatRequest['body'];
      this.requests.push({ authorization: req.headers.authorization, body });
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      if (req.headers.authorization !== `Bearer ${this.apiKey}`) return reply.status(401).send(error(401));
      if (!body.model || !Array.isArray(body.messages)) return reply.status(400).send(error(400));
      if (this.down) return reply.status(500).send(error(500));
      const fault = this.take(kindOf(body));
      if (fault?.kind === 'status') return reply.status(fault.status).send(error(fault.status));
      if (fault?.kind === 'rate_limit') return reply.status(429).header('retry-after', String(fault.retryAfterSeconds)).send(error(429));
      const json = kindOf(body) === 'procedures';
      const content = fault?.kind === 'malformed' ? '{"procedures": [{"title": "Unfinished' : json ? JSON.stringify(this.procedures) : this.summary;
      return completion(body.model, content);
    });
  }

  /** The next `times` requests (of kind `on`, if given) answer `status` (500 by default) with OpenAI's error body. */
  failNext(times: number, status = 500, on?: RequestKind): void {
    this.faults.push({ kind: 'status', status, remaining: times, on });
  }

  /** The next `times` requests (of kind `on`, if given) answer 429 with Retry-After. */
  rateLimitNext(times: number, retryAfterSeconds = 1, on?: RequestKind): void {
    this.faults.push({ kind: 'rate_limit', retryAfterSeconds, remaining: times, on });
  }

  /** The next `times` requests (of kind `on`, if given) answer 200 with content that is not the JSON asked for. */
  malformedNext(times: number, on?: RequestKind): void {
    this.faults.push({ kind: 'malformed', remaining: times, on });
  }

  reset(): void {
    this.faults = [];
    this.requests.length = 0;
    this.down = false;
    this.delayMs = 0;
  }

  requestsFor(kind: RequestKind): ChatRequest[] {
    return this.requests.filter((r) => kindOf(r.body) === kind);
  }

  private take(kind: RequestKind): Fault | undefined {
    const fault = this.faults.find((f) => f.remaining > 0 && (f.on === undefined || f.on === kind));
    if (fault) fault.remaining--;
    return fault;
  }

  async start(): Promise<string> {
    this.url = await this.app.listen({ port: 0, host: '127.0.0.1' });
    return this.url;
  }

  async stop(): Promise<void> {
    await this.app.close();
  }
}

function error(status: number) {
  const e = ERROR_BODIES[status] ?? { message: `status ${status}`, type: 'server_error', code: null };
  return { error: { ...e, param: null } };
}

/** OpenAI's chat.completion object. */
function completion(model: string, content: string) {
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
    system_fingerprint: 'fp_fake',
  };
}
