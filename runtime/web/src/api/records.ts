// Records of any module. Their shapes come from each module's JSON Schema
// at run time, so these calls are typed as plain records; the fixed
// endpoints use the generated client (client.ts).
import { request } from './http';

export type RecordValue = unknown;
export interface RecordData {
  id: string;
  version: number;
  created_at: string;
  updated_at: string;
  created_by?: string | null;
  updated_by?: string | null;
  owner?: string | null;
  deleted_at?: string | null;
  expand?: Record<string, { id: string; title?: string; [k: string]: unknown } | null>;
  [field: string]: RecordValue;
}

export interface RecordPage {
  records: RecordData[];
  next_cursor?: string;
  /** With total: true, at most 10,000 — then total_exact is false ("10,000+"). */
  total?: number;
  total_exact?: boolean;
  /** PostgreSQL's planner estimate when the count passed the cap. */
  total_estimate?: number;
}

export interface ListParams {
  filter?: string;
  sort?: string;
  limit?: number;
  cursor?: string;
  total?: boolean | 'exact';
  fields?: string;
  expand?: string;
  signal?: AbortSignal;
}

const base = (app: string, module: string) =>
  `/api/apps/${encodeURIComponent(app)}/modules/${encodeURIComponent(module)}/records`;

export const records = {
  list(app: string, module: string, p: ListParams = {}): Promise<RecordPage> {
    const { signal, ...query } = p;
    return request('GET', base(app, module), { query: query as Record<string, string>, signal });
  },
  get(app: string, module: string, id: string, expand?: string): Promise<RecordData> {
    return request('GET', `${base(app, module)}/${encodeURIComponent(id)}`, { query: { expand } });
  },
  create(app: string, module: string, values: Record<string, unknown>): Promise<RecordData> {
    return request('POST', base(app, module), { body: values });
  },
  update(app: string, module: string, id: string, version: number, values: Record<string, unknown>): Promise<RecordData> {
    return request('PATCH', `${base(app, module)}/${encodeURIComponent(id)}`, { body: { ...values, version } });
  },
  remove(app: string, module: string, id: string): Promise<void> {
    return request('DELETE', `${base(app, module)}/${encodeURIComponent(id)}`);
  },
  restore(app: string, module: string, id: string): Promise<RecordData> {
    return request('POST', `${base(app, module)}/${encodeURIComponent(id)}/restore`);
  },
};
