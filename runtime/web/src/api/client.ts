// The typed client for the fixed endpoints, generated from the server's
// OpenAPI document (openapi.json → schema.gen.ts by `npm run gen:api`;
// runtime/web/fixture_test.go keeps openapi.json equal to the server's).
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.gen';
import { ApiError, requestHeaders, toError } from './http';

const headers: Middleware = {
  onRequest({ request }) {
    const h = requestHeaders(request.method, request.headers);
    h.forEach((v, k) => request.headers.set(k, v));
    return request;
  },
  async onResponse({ response, request }) {
    if (!response.ok) throw await toError(response, new URL(request.url).pathname);
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: '', credentials: 'same-origin' });
api.use(headers);

/** data unwraps an openapi-fetch result (errors were thrown by the middleware). */
export async function data<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const r = await p;
  if (r.error !== undefined || r.data === undefined) {
    if (r.response.status === 204) return undefined as T;
    throw r.error instanceof ApiError ? r.error : new ApiError({ status: r.response.status });
  }
  return r.data;
}

export type User = components['schemas']['User'];
export type App = components['schemas']['App'];
export type Person = components['schemas']['Person'];
export type Notification = NonNullable<
  paths['/api/notifications']['get']['responses'][200]['content']['application/json']['notifications']
>[number];
export type Module = components['schemas']['Module'];
export type HistoryEntry = components['schemas']['HistoryEntry'];
export type HistoryPage = components['schemas']['HistoryPage'];
export type Schemas = components['schemas'];
