// @ts-check
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

/** Workflows (and the domain code they import) run in Temporal's deterministic sandbox: no Node APIs, no I/O. */
const workflowWall = {
  patterns: [
    { group: ['node:*'], message: 'workflow code may not use Node APIs' },
    {
      group: ['**/db/**', '**/api/**', '**/blob/**', '**/temporal/**', '**/scripts/**', '**/config', '**/logger'],
      message: 'workflow code may not do I/O: call an activity',
    },
    { group: ['**/activities/**', '**/activities'], allowTypeImports: true, message: 'workflows may only `import type` from activities' },
  ],
  paths: [
    ...builtinModules.map((name) => ({ name, message: 'workflow code may not use Node APIs' })),
    ...['postgres', 'pino', 'fastify', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'].map((name) => ({
      name,
      message: 'workflow code may not do I/O',
    })),
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'bench-results/', 'coverage/'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    rules: { 'no-restricted-imports': 'off', '@typescript-eslint/no-restricted-imports': ['error', workflowWall] },
  },
);
