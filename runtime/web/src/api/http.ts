// One way to talk to the server: same-origin fetch with the session cookie,
// the CSRF header on writes, Accept-Language, and problem+json errors as
// ApiError. A 401 on a signed-in page tells the session listeners (the
// shell shows the sign-in dialog and keeps the page — and any form draft —
// as it is).
import { currentLocale } from '../i18n';

export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  code?: string;
  detail?: string;
  errors?: FieldProblem[];
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  readonly retryAfter?: number; // seconds, from Retry-After
  constructor(problem: Problem, retryAfter?: number) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.status = problem.status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
  get fieldErrors(): FieldProblem[] {
    return this.problem.errors ?? [];
  }
}

/** NetworkError is a request that got no answer (server down, offline). */
export class NetworkError extends Error {}

export function csrfToken(): string {
  const m = document.cookie.match(/(?:^|;\s*)tessera_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : '';
}

type Listener = () => void;
const expiredListeners = new Set<Listener>();
export function onSessionExpired(fn: Listener): () => void {
  expiredListeners.add(fn);
  return () => expiredListeners.delete(fn);
}

/** Paths whose 401 means "wrong credentials" or "not signed in yet", not "session ended". */
const quiet401 = ['/api/auth/login', '/api/auth/me'];

/** headers are the ones every request carries. */
export function requestHeaders(method: string, extra?: HeadersInit): Headers {
  const h = new Headers(extra);
  h.set('Accept-Language', currentLocale());
  if (!h.has('Accept')) h.set('Accept', 'application/json');
  if (method !== 'GET' && method !== 'HEAD') {
    const t = csrfToken();
    if (t) h.set('X-CSRF-Token', t);
  }
  return h;
}

/** toError turns a failed response into an ApiError (and tells listeners of an ended session). */
export async function toError(res: Response, path: string): Promise<ApiError> {
  let problem: Problem = { status: res.status };
  try {
    const body = await res.json();
    if (body && typeof body === 'object') problem = { ...body, status: res.status };
  } catch {
    /* not JSON */
  }
  const ra = Number(res.headers.get('Retry-After'));
  if (res.status === 401 && !quiet401.some((p) => path.startsWith(p))) expiredListeners.forEach((fn) => fn());
  return new ApiError(problem, Number.isFinite(ra) && ra > 0 ? ra : undefined);
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined | null>;
  body?: unknown;
  headers?: HeadersInit;
  signal?: AbortSignal;
}

export function withQuery(path: string, query?: RequestOptions['query']): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** request sends one request and returns the decoded JSON (undefined for 204). */
export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers = requestHeaders(method, opts.headers);
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(opts.body);
  }
  let res: Response;
  try {
    res = await fetch(withQuery(path, opts.query), { method, headers, body, credentials: 'same-origin', signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new NetworkError(String(e));
  }
  if (!res.ok) throw await toError(res, path);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}
