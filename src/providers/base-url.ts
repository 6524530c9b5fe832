/**
 * Accepts a base URL with or without the trailing `/v1` (OpenAI's SDK convention includes it, Anthropic's
 * does not) and returns a function that joins API paths onto `<base>/v1/`.
 */
export function apiUrl(baseUrl: string): (path: string) => string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  const v1 = /\/v1$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
  return (path) => `${v1}/${path}`;
}
