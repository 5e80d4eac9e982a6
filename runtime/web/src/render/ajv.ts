// Ajv compiles a module's JSON Schema (2020-12, formats asserted like the
// server's compiler) into a function. Compiling generates code (new
// Function), which the page's Content-Security-Policy forbids, so in the
// app this module runs inside validate.worker.ts; tests call it directly.
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

export interface RawError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
}

export type Check = (doc: Record<string, unknown>) => RawError[];

let ajv: Ajv2020 | undefined;
function instance(): Ajv2020 {
  if (!ajv) {
    // strict: false — x-field and other x- keywords are annotations.
    ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true, addUsedSchema: false });
    addFormats(ajv);
  }
  return ajv;
}

export function compile(schema: Record<string, unknown>): Check {
  const { $id: _id, ...rest } = schema; // each compile stands alone
  const fn = instance().compile(rest);
  return (doc) => {
    if (fn(doc)) return [];
    return (fn.errors ?? []).map((e) => ({
      instancePath: e.instancePath,
      schemaPath: e.schemaPath,
      keyword: e.keyword,
      params: e.params as Record<string, unknown>,
    }));
  };
}
