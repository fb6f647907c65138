/** The request log line never carries a webhook secret or an OAuth code or state. */
import { logSafeUrl } from '../../api/log-safe-url';

test('secret, code and state are redacted; the rest of the URL is kept', () => {
  expect(logSafeUrl('/v1/webhooks/servicem8/abc?secret=s3cr3t')).toBe('/v1/webhooks/servicem8/abc?secret=%5Bredacted%5D');
  const callback = logSafeUrl('/v1/oauth/callback?code=c0de&state=v1.x.y&error=access_denied');
  expect(callback).not.toMatch(/c0de|v1\.x\.y/);
  expect(callback).toContain('error=access_denied');
  expect(logSafeUrl('/v1/tasks?tab=open&limit=10')).toBe('/v1/tasks?tab=open&limit=10');
  expect(logSafeUrl('/v1/tasks')).toBe('/v1/tasks');
});
