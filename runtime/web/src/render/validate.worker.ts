// The validation worker: compiles module schemas with Ajv (see ajv.ts) under
// its own Content-Security-Policy (runtime/web/web.go WorkerCSP) and answers
// {id, errors} for each {id, key, schema, doc}.
import { compile, type Check } from './ajv';

const cache = new Map<string, Check>();

self.onmessage = (ev: MessageEvent<{ id: number; key: string; schema: Record<string, unknown>; doc: Record<string, unknown> }>) => {
  const { id, key, schema, doc } = ev.data;
  try {
    let check = cache.get(key);
    if (!check) {
      check = compile(schema);
      cache.set(key, check);
    }
    (self as unknown as Worker).postMessage({ id, errors: check(doc) });
  } catch (e) {
    (self as unknown as Worker).postMessage({ id, failed: String(e) });
  }
};
