/**
 * The AI providers on their own: the built-in one's exact output (it is
 * deterministic), and the OpenAI-compatible one against a fake server that
 * speaks OpenAI's chat completions shapes, including how each failure is
 * classified for the pipeline's retries.
 */
import { createAiProvider } from '../../ai';
import { createBuiltinProvider } from '../../ai/builtin';
import { createOpenAiProvider } from '../../ai/openai';
import { AiError, type AiSessionInput } from '../../ai/types';
import { FakeAi } from '../fakes/fake-ai';

const session: AiSessionInput = {
  taskTitle: 'Boiler service',
  taskDescription: 'Annual service, Combi 30',
  stepsCompleted: 4,
  toolsUsed: ['multimeter', ' flue gas analyser ', 'multimeter', ''],
  notes: 'Pressure low;\n topped up.\n- Re-check pressure in a week',
  transcript: [
    'Engineer: starting now',
    'Step 1: isolate the gas supply',
    '2) remove the casing',
    'Then clean the burner',
    '* check the flue',
    'Nowhere to park, by the way',
    '3.5 bar on the gauge',
    'finally, restore the supply',
  ].join('\n'),
  score: 87,
  durationSeconds: 2530,
};

const sparse: AiSessionInput = {
  taskTitle: 'Site visit',
  taskDescription: null,
  stepsCompleted: null,
  toolsUsed: [],
  notes: null,
  transcript: 'All good, nothing to do',
  score: null,
  durationSeconds: 20,
};

describe('built-in provider', () => {
  const ai = createBuiltinProvider();

  test('procedures: the step-like lines of the transcript, then the notes, with the tools used', async () => {
    expect(await ai.extractProcedures(session)).toEqual([
      {
        title: 'Boiler service',
        steps: ['Isolate the gas supply', 'Remove the casing', 'Clean the burner', 'Check the flue', 'Restore the supply', 'Re-check pressure in a week'],
        tools: ['multimeter', 'flue gas analyser'],
      },
    ]);
  });

  test('summary: steps, minutes and score, then tools and notes', async () => {
    expect(await ai.summarise(session)).toBe(
      'Boiler service: completed 4 steps in 42 minutes with a score of 87%. Tools: multimeter, flue gas analyser. ' +
        'Notes: Pressure low; topped up. - Re-check pressure in a week',
    );
  });

  test('missing fields drop their parts; no step-like lines, no procedure', async () => {
    expect(await ai.extractProcedures(sparse)).toEqual([]);
    expect(await ai.summarise(sparse)).toBe('Site visit: completed the session in under a minute.');
    expect(await ai.summarise({ ...sparse, stepsCompleted: 1, durationSeconds: 75, score: 0 })).toBe(
      'Site visit: completed 1 step in 1 minute with a score of 0%.',
    );
  });

  test('is the default provider', async () => {
    const configured = createAiProvider({ provider: 'builtin', model: 'unused', timeoutMs: 1000, maxAttempts: 1 });
    expect(await configured.summarise(session)).toBe(await ai.summarise(session));
  });
});

describe('OpenAI-compatible provider', () => {
  const fake = new FakeAi();
  const options = () => ({ baseUrl: `${fake.url}/v1`, apiKey: fake.apiKey, model: 'gpt-test-mini', timeoutMs: 5000 });
  const ai = () => createOpenAiProvider(options());

  beforeAll(() => fake.start());
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  /** The AiError a call fails with. */
  async function failure(call: Promise<unknown>): Promise<AiError> {
    const err = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AiError);
    return err as AiError;
  }

  test('procedures: POST /v1/chat/completions with the key, the model, the session and a JSON answer format', async () => {
    const procedures = [{ title: 'Burner clean', steps: ['Isolate', 'Clean'], tools: ['brush'] }, { title: 'Flue check', steps: ['Check the flue'] }];
    fake.procedures = { procedures };
    const configured = createAiProvider({ provider: 'openai', ...options(), maxAttempts: 1 });

    expect(await configured.extractProcedures(session)).toEqual([procedures[0], { ...procedures[1], tools: [] }]);
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request!.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(request!.body.model).toBe('gpt-test-mini');
    expect(request!.body.response_format).toEqual({ type: 'json_object' });
    const [system, user] = request!.body.messages!;
    expect(system!.role).toBe('system');
    expect(system!.content).toContain('"procedures"');
    expect(user!.role).toBe('user');
    expect(JSON.parse(user!.content)).toEqual(session);
  });

  test('summary: plain text, trimmed; fields without a value are not sent', async () => {
    fake.summary = '  Serviced the boiler; pressure topped up.\n';
    expect(await ai().summarise(sparse)).toBe('Serviced the boiler; pressure topped up.');
    const [request] = fake.requestsFor('summary');
    expect(request!.body.response_format).toBeUndefined();
    expect(JSON.parse(request!.body.messages![1]!.content)).toEqual({ taskTitle: 'Site visit', transcript: 'All good, nothing to do', durationSeconds: 20 });
  });

  test('5xx and timeouts are retryable; a 429 carries its Retry-After', async () => {
    fake.failNext(1, 500);
    const outage = await failure(ai().summarise(session));
    expect([outage.kind, outage.retryable]).toEqual(['unavailable', true]);

    fake.rateLimitNext(1, 7);
    const limited = await failure(ai().summarise(session));
    expect([limited.kind, limited.retryable, limited.retryAfterMs]).toEqual(['rate_limited', true, 7000]);

    fake.delayMs = 1000;
    const slow = await failure(createOpenAiProvider({ ...options(), timeoutMs: 100 }).summarise(session));
    expect([slow.kind, slow.retryable]).toEqual(['unavailable', true]);
  });

  test('400, a refused key and malformed answers are not retryable; no message carries the key', async () => {
    fake.failNext(1, 400);
    const rejected = await failure(ai().extractProcedures(session));
    expect([rejected.kind, rejected.retryable]).toEqual(['rejected', false]);

    const wrongKey = 'sk-wrong-key-0123456789';
    const refused = await failure(createOpenAiProvider({ ...options(), apiKey: wrongKey }).summarise(session));
    expect([refused.kind, refused.retryable]).toEqual(['unauthorized', false]);
    expect(refused.message).not.toContain(wrongKey);

    fake.malformedNext(1);
    const malformed = await failure(ai().extractProcedures(session));
    expect([malformed.kind, malformed.retryable]).toEqual(['bad_response', false]);

    fake.procedures = { procedures: [{ title: 'No steps' }] };
    const wrongShape = await failure(ai().extractProcedures(session));
    expect([wrongShape.kind, wrongShape.retryable]).toEqual(['bad_response', false]);
  });

  test('an unreachable server is retryable', async () => {
    const gone = new FakeAi();
    const url = await gone.start();
    await gone.stop();
    const err = await failure(createOpenAiProvider({ ...options(), baseUrl: `${url}/v1` }).summarise(session));
    expect([err.kind, err.retryable]).toEqual(['unavailable', true]);
  });
});
