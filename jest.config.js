/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j)s$': ['@swc/jest'] },
  // ES-module-only dependencies Jest's CommonJS sandbox cannot require (Node itself can).
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition|cookie|graphql-request)/)'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  testTimeout: 60_000,
  // Two cores: the Temporal server and PostgreSQL need one between them.
  maxWorkers: 2,
};
