/**
 * A request URL fit for the log: the query parameters that carry secrets
 * (ServiceM8's webhook `secret`, the OAuth callback's `code` and `state`)
 * are replaced, the rest kept.
 */
const SECRET_PARAMS = ['secret', 'code', 'state'];

export function logSafeUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  if (!SECRET_PARAMS.some((name) => params.has(name))) return url;
  for (const name of SECRET_PARAMS) if (params.has(name)) params.set(name, '[redacted]');
  return `${url.slice(0, q)}?${params.toString()}`;
}
