/** The configured AI provider (AI_PROVIDER): built once per worker by the pipeline's activities. */
import type { AiConfig } from '../config';
import { createBuiltinProvider } from './builtin';
import { createOpenAiProvider } from './openai';
import type { AiProvider } from './types';

export function createAiProvider(config: AiConfig): AiProvider {
  if (config.provider === 'builtin') return createBuiltinProvider();
  // config.ts requires both for openai; checked again here so a hand-built config fails loudly.
  if (!config.baseUrl || !config.apiKey) throw new Error('AI_PROVIDER=openai needs AI_BASE_URL and AI_API_KEY');
  return createOpenAiProvider({ baseUrl: config.baseUrl, apiKey: config.apiKey, model: config.model, timeoutMs: config.timeoutMs });
}
