/** The routes of the integrations issue, as servedRoutes() prints them (test/integrations-api/edges.test.ts covers them). */
export const INTEGRATION_ROUTES = [
  'GET /v1/integrations',
  'POST /v1/integrations',
  'GET /v1/integrations/:id',
  'PATCH /v1/integrations/:id',
  'DELETE /v1/integrations/:id',
  'POST /v1/integrations/:id/reconnect',
  'POST /v1/integrations/:id/sync',
  'GET /v1/oauth/callback',
  'POST /v1/webhooks/:provider/:integrationId',
  'POST /v1/webhooks/jobber',
] as const;

export type IntegrationRoute = (typeof INTEGRATION_ROUTES)[number];
