// The schema check for a module, run where the page's CSP allows Ajv's
// generated code: in the validation worker (validate.worker.ts) in the
// browser, directly under Node (tests) and where workers are missing.
import type { RawError } from './ajv';
import type { SchemaCheck } from './validate';

let worker: Worker | undefined;
let seq = 0;
const pending = new Map<number, { resolve: (e: RawError[]) => void; reject: (e: Error) => void }>();

function getWorker(): Worker | undefined {
  if (worker) return worker;
  if (typeof Worker === 'undefined' || import.meta.env.MODE === 'test') return undefined;
  worker = new Worker(new URL('./validate.worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (ev: MessageEvent<{ id: number; errors?: RawError[]; failed?: string }>) => {
    const p = pending.get(ev.data.id);
    if (!p) return;
    pending.delete(ev.data.id);
    if (ev.data.failed !== undefined) p.reject(new Error(ev.data.failed));
    else p.resolve(ev.data.errors ?? []);
  };
  return worker;
}

/** schemaCheck returns the check of one module version's schema. */
export function schemaCheck(key: string, schema: Record<string, unknown>): SchemaCheck {
  return async (doc) => {
    const w = getWorker();
    if (!w) {
      const { compile } = await import('./ajv');
      return compile(schema)(doc);
    }
    const id = ++seq;
    return new Promise<RawError[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      w.postMessage({ id, key, schema, doc });
    });
  };
}
