// The endpoints around one record's work: stage pipelines (flowapi), the
// 360° view (relatedapi), buttons (actionapi), approvals (approvalapi),
// print templates (printapi) and pools (poolapi). Types come from the
// generated OpenAPI schema; records inside them are plain RecordData.
import type { components } from './schema.gen';
import { request } from './http';
import type { RecordData, RecordPage } from './records';

type S = components['schemas'];
export type Flow = S['Flow'];
export type FlowState = S['FlowState'];
export type FlowTransition = S['FlowTransition'];
export type TransitionOption = NonNullable<S['TransitionOptions']['transitions']>[number];
export type Board = S['Board'];
export type BoardColumn = NonNullable<Board['columns']>[number];
export type TimelineEntry = S['Timeline']['entries'][number];
export type Relation = S['RelatedList']['related'][number];
export type Button = S['ButtonList']['actions'][number];
export type ApprovalInstance = S['ApprovalInstance'];
export type ApprovalTask = NonNullable<ApprovalInstance['tasks']>[number];
export type ApprovalDecisionRow = NonNullable<ApprovalInstance['decisions']>[number];
export type InboxItem = NonNullable<S['ApprovalInbox']['items']>[number];
export type PrintTemplate = S['PrintTemplate'];
export type Pool = S['Pool'];
export type ApprovalAction = 'approve' | 'reject' | 'return' | 'transfer' | 'add-approver' | 'comment';
export type Box = 'pending' | 'submitted' | 'done';

const e = encodeURIComponent;
const appPath = (app: string) => `/api/apps/${e(app)}`;
const recPath = (app: string, module: string, id: string) => `${appPath(app)}/modules/${e(module)}/records/${e(id)}`;

export const flows = {
  list: async (app: string) => (await request<{ flows: Flow[] }>('GET', `${appPath(app)}/flows`)).flows,
  get: (app: string, key: string) => request<Flow>('GET', `${appPath(app)}/flows/${e(key)}`),
  options: async (app: string, module: string, id: string) =>
    (await request<{ transitions?: TransitionOption[] }>('GET', `${recPath(app, module, id)}/transitions`)).transitions ?? [],
  /** fire moves the record; an answer with instance means an approval was started instead. */
  fire: (app: string, module: string, id: string, flow: string, key: string, version: number, values?: Record<string, unknown>) =>
    request<RecordData | { instance: { id: string; status: string } }>('POST', `${recPath(app, module, id)}/transitions/${e(key)}`, {
      query: { flow },
      body: { version, ...(values && Object.keys(values).length ? { values } : {}) },
    }),
  board: (app: string, module: string, q: { flow: string; sum?: string; limit?: number; state?: string; cursor?: string; filter?: string; expand?: string }) =>
    request<Board>('GET', `${appPath(app)}/modules/${e(module)}/board`, { query: q }),
};

export const related = {
  all: async (app: string, module: string, id: string, limit = 5) =>
    (await request<{ related: Relation[] }>('GET', `${recPath(app, module, id)}/related`, { query: { limit } })).related,
  page: (app: string, module: string, id: string, other: string, field: string, cursor?: string) =>
    request<RecordPage>('GET', `${recPath(app, module, id)}/related`, { query: { module: other, field, cursor, limit: 20 } }),
  timeline: (app: string, module: string, id: string, cursor?: string) =>
    request<{ entries: TimelineEntry[]; next_cursor?: string }>('GET', `${recPath(app, module, id)}/timeline`, { query: { limit: 30, cursor } }),
};

export const buttons = {
  list: async (app: string, module: string, record?: string) =>
    (await request<{ actions: Button[] }>('GET', `${appPath(app)}/modules/${e(module)}/actions`, { query: { record } })).actions,
  press: (app: string, module: string, id: string, key: string, input?: Record<string, unknown>) =>
    request<{ record?: RecordData; effects?: string[] }>('POST', `${recPath(app, module, id)}/actions/${e(key)}`, { body: input ? { input } : {} }),
};

export const approvals = {
  ofRecord: async (app: string, module: string, id: string) =>
    (await request<{ approvals?: ApprovalInstance[] }>('GET', `${recPath(app, module, id)}/approvals`)).approvals ?? [],
  processes: async (app: string) =>
    (await request<{ approvals?: S['ApprovalProcess'][] }>('GET', `${appPath(app)}/approvals`)).approvals ?? [],
  submit: (app: string, module: string, id: string, body: { process?: string; comment?: string }) =>
    request<ApprovalInstance>('POST', `${recPath(app, module, id)}/approvals`, { body }),
  get: (instance: string) => request<ApprovalInstance>('GET', `/api/approvals/${e(instance)}`),
  act: (instance: string, task: string, action: ApprovalAction, body: S['ApprovalDecision']) =>
    request<ApprovalInstance>('POST', `/api/approvals/${e(instance)}/tasks/${e(task)}/${action}`, { body }),
  withdraw: (instance: string, comment?: string) => request<ApprovalInstance>('POST', `/api/approvals/${e(instance)}/withdraw`, { body: { comment } }),
  remind: (instance: string, comment?: string) => request<ApprovalInstance>('POST', `/api/approvals/${e(instance)}/remind`, { body: { comment } }),
  inbox: (box: Box, cursor?: string, limit = 50) =>
    request<{ items?: InboxItem[]; next_cursor?: string }>('GET', '/api/approvals', { query: { box, cursor, limit } }),
};

export const prints = {
  list: async (app: string) => (await request<{ print_templates?: PrintTemplate[] }>('GET', `${appPath(app)}/print-templates`)).print_templates ?? [],
  href: (app: string, module: string, id: string, template: string) => `${recPath(app, module, id)}/print/${e(template)}`,
};

export const pools = {
  list: async (app: string) => (await request<{ pools?: Pool[] }>('GET', `${appPath(app)}/pools`)).pools ?? [],
  claim: (app: string, pool: string, id: string) => request<RecordData>('POST', `${appPath(app)}/pools/${e(pool)}/records/${e(id)}/claim`),
};
