// Record validation in the browser, giving exactly the server's field
// errors: the same JSON Schema (checked by Ajv instead of the server's
// library), then the same extra rules, mapped to the same message keys and
// arguments, rendered with the server's own templates (messages.gen.json,
// kept equal to the Go catalog by runtime/web/fixture_test.go). This file
// mirrors engine/form (form.go Create/validate, errors.go message); change
// them together — testdata/validation.json catches any difference.
import catalog from './messages.gen.json';
import type { RawError } from './ajv';
import { pick, type Field, type Option } from './schema';

export type LocaleMessages = Record<string, string>; // locale → message

export interface FieldError {
  field: string;
  code: string;
  message: LocaleMessages;
}

type Args = Record<string, unknown>;
interface Msg {
  key: string;
  args: Args;
}

const locales = Object.keys(catalog) as (keyof typeof catalog)[];

/** Localized is an argument rendered in the reader's locale (Go: anything with In(locale)). */
type Localized = (locale: string) => string;

function format(locale: string, v: unknown): string {
  if (typeof v === 'function') return (v as Localized)(locale);
  if (Array.isArray(v)) return v.map((e) => format(locale, e)).join(', ');
  return String(v);
}

/** render is engine/i18n.T: the locale's template, else English, else the key. */
export function render(locale: string, m: Msg): string {
  const cats = catalog as Record<string, Record<string, string>>;
  let t = cats[locale]?.[m.key] ?? cats.en?.[m.key] ?? m.key;
  const names = Object.keys(m.args).sort();
  // One pass, like strings.Replacer: replaced text is not scanned again.
  if (names.length) {
    const re = new RegExp(names.map((n) => '\\{' + n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\}').join('|'), 'g');
    t = t.replace(re, (s) => format(locale, m.args[s.slice(1, -1)]));
  }
  return t;
}

// The server library's keyword order for one value (santhosh-tekuri
// jsonschema v5 validateValue): the first error per field is the one shown.
const keywordRank = [
  'type', 'const', 'enum', 'format',
  'minProperties', 'maxProperties', 'required', 'dependentRequired', 'propertyNames', 'additionalProperties',
  'minItems', 'maxItems', 'uniqueItems', 'prefixItems', 'items', 'additionalItems', 'contains', 'minContains', 'maxContains',
  'minLength', 'maxLength', 'pattern', 'contentEncoding', 'contentMediaType', 'contentSchema',
  'minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum', 'multipleOf',
  'not', 'allOf', 'anyOf', 'oneOf', 'if', 'then', 'else', 'unevaluatedProperties', 'unevaluatedItems',
];
const rank = (k: string) => {
  const i = keywordRank.indexOf(k);
  return i < 0 ? keywordRank.length : i;
};

const assertions = new Set([
  'type', 'enum', 'const', 'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'uniqueItems', 'minContains', 'maxContains',
  'required', 'additionalProperties', 'minProperties', 'maxProperties', 'dependentRequired', 'unevaluatedProperties',
  'unevaluatedItems', 'additionalItems', 'propertyNames', 'not', 'anyOf', 'oneOf', 'contentEncoding',
  'contentMediaType', 'contentSchema',
]);

const typeWords = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);
const formatWords = new Set(['email', 'uri', 'date', 'date-time', 'time', 'uuid', 'hostname', 'ipv4', 'ipv6']);

function splitPointer(p: string): string[] {
  const s = p.replace(/^\//, '');
  if (!s) return [];
  return s.split('/').map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function navigate(s: unknown, path: string[]): Record<string, unknown> | undefined {
  let cur = s;
  for (const tok of path) {
    if (Array.isArray(cur)) cur = cur[Number(tok)];
    else if (cur && typeof cur === 'object') cur = (cur as Record<string, unknown>)[tok];
    else return undefined;
  }
  return cur && typeof cur === 'object' && !Array.isArray(cur) ? (cur as Record<string, unknown>) : undefined;
}

function valueAt(doc: unknown, inst: string[]): unknown {
  let cur = doc;
  for (const tok of inst) {
    if (Array.isArray(cur)) cur = cur[Number(tok)];
    else if (cur && typeof cur === 'object') cur = (cur as Record<string, unknown>)[tok];
    else return undefined;
  }
  return cur;
}

/** short is errors.go short: the value as text, cut to 60 characters. */
function short(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  const runes = Array.from(s ?? 'null');
  return runes.length > 60 ? runes.slice(0, 60).join('') + '…' : runes.join('');
}

/** optionList is errors.go optionList: a select's options by label, "Beginner (beg)". */
function optionList(options: Option[]): Localized {
  return (locale) => {
    const parts: string[] = [];
    for (let i = 0; i < options.length; i++) {
      if (i === 50) {
        parts.push('…');
        break;
      }
      const o = options[i];
      const label = pick(o.label, locale);
      parts.push(!label || label === o.value ? short(o.value) : short(label) + ' (' + short(o.value) + ')');
    }
    return parts.join(', ');
  };
}

function enumList(vals: unknown[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < vals.length; i++) {
    if (i === 50) {
      out.push('…');
      break;
    }
    out.push(short(vals[i]));
  }
  return out;
}

function limitText(v: unknown): string {
  return typeof v === 'number' ? numberText(v) : String(v);
}

function invalidAt(code: string, path: string, nested: boolean): Msg {
  return nested ? { key: 'form.invalid_at', args: { path, code } } : { key: 'form.invalid', args: { code } };
}

/** message is errors.go message: the template and arguments for a failing keyword. */
function message(code: string, nested: boolean, parent: Record<string, unknown> | undefined, value: unknown, path: string): Msg {
  const p = parent ?? {};
  const limit = (name: string): Msg =>
    code in p && !nested ? { key: 'form.' + code, args: { [name]: limitText(p[code]) } } : invalidAt(code, path, nested);
  switch (code) {
    case 'type': {
      const t = p.type;
      if (typeof t === 'string' && typeWords.has(t)) {
        return { key: (nested ? 'form.item_type.' : 'form.type.') + t, args: { expected: t } };
      }
      return { key: 'form.type', args: { expected: Array.isArray(t) ? t.join(' | ') : typeof t === 'string' ? t : '?' } };
    }
    case 'enum':
      if (Array.isArray(p.enum)) return { key: 'form.enum', args: { value: short(value), allowed: enumList(p.enum) } };
      break;
    case 'const':
      if ('const' in p && !nested) return { key: 'form.const', args: { expected: short(p.const) } };
      break;
    case 'format': {
      const f = typeof p.format === 'string' ? p.format : '';
      if (formatWords.has(f)) return { key: 'form.format.' + f, args: { format: f } };
      if (f) return { key: 'form.format', args: { format: f } };
      break;
    }
    case 'minimum': case 'exclusiveMinimum': case 'minLength': case 'minItems':
      return limit('min');
    case 'maximum': case 'exclusiveMaximum': case 'maxLength': case 'maxItems':
      return limit('max');
    case 'multipleOf':
      return limit('step');
    case 'pattern':
      if ('pattern' in p && !nested) return { key: 'form.pattern', args: { pattern: p.pattern } };
      break;
    case 'uniqueItems':
      if (!nested) return { key: 'form.uniqueItems', args: {} };
      break;
  }
  return invalidAt(code, path, nested);
}

// ---- numbers (values.go) -------------------------------------------------

interface Num {
  digits: string; // no leading or trailing zeros; "" for zero
  pos: number; // value = 0.digits × 10^pos
}

/** numberText is how JSON.stringify writes n, i.e. the literal the server receives. */
function numberText(n: number): string {
  return JSON.stringify(n);
}

function parseNum(s: string): Num | undefined {
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m) return undefined;
  const intPart = m[1], frac = m[2] ?? '', exp = Number(m[3] ?? 0);
  const all = intPart + frac;
  let pos = intPart.length + exp;
  const t = all.replace(/^0+/, '');
  pos -= all.length - t.length;
  const digits = t.replace(/0+$/, '');
  return digits ? { digits, pos } : { digits: '', pos: 0 };
}

const fracDigits = (n: Num) => Math.max(n.digits.length - n.pos, 0);
const intDigits = (n: Num) => Math.max(n.pos, 0);
const int64Max = 9223372036854775807;

// ---- the collector (errors.go) ---------------------------------------------

class Collector {
  private byField = new Map<string, FieldError>();
  private unknowns: string[] = [];
  constructor(private fields: Field[]) {}

  has(field: string): boolean {
    return this.byField.has(field);
  }

  add(field: string, code: string, m: Msg): void {
    if (this.byField.has(field)) return;
    const f = this.fields.find((f) => f.key === field);
    const message: LocaleMessages = {};
    for (const l of locales) {
      // meta.Named: the label in the locale (else English, else any), else the key.
      const args = { field, label: (f && pick(f.label, l)) || field, ...m.args };
      message[l] = render(l, { key: m.key, args });
    }
    this.byField.set(field, { field, code, message });
  }

  unknown(key: string): void {
    if (!this.byField.has(key)) {
      this.unknowns.push(key);
      this.add(key, 'unknown_field', { key: 'form.unknown_field', args: {} });
    }
  }

  errors(): FieldError[] {
    const out: FieldError[] = [];
    for (const f of this.fields) {
      const e = this.byField.get(f.key);
      if (e) out.push(e);
    }
    [...this.unknowns].sort().slice(0, 20).forEach((k) => out.push(this.byField.get(k)!));
    return out;
  }
}

/** reserved are the system keys the server skips in input (meta.Reserved). */
const reserved = new Set(['id', 'version', 'created_at', 'updated_at', 'created_by', 'updated_by', 'owner', 'deleted_at', 'owner_id', 'expand', '_expand']);

export type SchemaCheck = (doc: Record<string, unknown>) => RawError[] | Promise<RawError[]>;

/**
 * validateRecord validates the input of a new record (or the whole record
 * of an edit) like the server's form.Validator.Create, with check running
 * the module's JSON Schema. It returns the field errors in the server's
 * order (form order, then unknown keys), each in every locale.
 */
export async function validateRecord(fields: Field[], input: Record<string, unknown>, check: SchemaCheck): Promise<FieldError[]> {
  const c = new Collector(fields);
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const doc: Record<string, unknown> = {};
  for (const [key, val] of Object.entries(input)) {
    if (reserved.has(key)) continue;
    const f = byKey.get(key);
    if (!f) c.unknown(key);
    else if (val === null || val === undefined) continue;
    else if (f.readOnly && (f.type === 'autonumber' || f.type === 'formula' || f.type === 'rollup')) {
      c.add(key, 'read_only', { key: 'form.read_only', args: {} });
    } else doc[key] = val;
  }
  for (const [key, val] of Object.entries(doc)) {
    if (hasNul(val)) {
      delete doc[key];
      c.add(key, 'invalid_char', { key: 'form.invalid_char', args: {} });
    }
  }
  for (const f of fields) {
    if (f.required && !(f.type === 'autonumber' || f.type === 'formula' || f.type === 'rollup') && !(f.key in doc)) {
      c.add(f.key, 'required', { key: 'form.required', args: {} });
    }
  }
  const raw = await check(doc);
  const leaves = raw
    .map((e, i) => ({ e, i }))
    .sort((a, b) =>
      a.e.instancePath < b.e.instancePath ? -1 : a.e.instancePath > b.e.instancePath ? 1 :
      rank(a.e.keyword) - rank(b.e.keyword) || a.i - b.i)
    .map((x) => x.e);
  for (const leaf of leaves) {
    const inst = splitPointer(leaf.instancePath);
    const kwPath = splitPointer(leaf.schemaPath.replace(/^#/, ''));
    let code = 'invalid';
    const last = kwPath[kwPath.length - 1];
    if (last && assertions.has(last)) code = last;
    if (inst.length === 0) continue; // record level: required is computed above
    const field = inst[0];
    const f = byKey.get(field);
    if (!f) {
      c.unknown(field);
      continue;
    }
    const parent = kwPath.length >= 3 && kwPath[0] === 'properties' && kwPath[1] === field
      ? navigate(f.schema, kwPath.slice(2, -1)) : undefined;
    const nested = inst.length > 1;
    const m = message(code, nested, parent, valueAt(doc, inst), leaf.instancePath);
    // A select's allowed values as its users know them: by label.
    if (m.key === 'form.enum' && f.options.length > 0) m.args.allowed = optionList(f.options);
    c.add(field, code, m);
  }
  for (const [key, val] of Object.entries(doc)) {
    const f = byKey.get(key);
    if (!f || c.has(key) || typeof val !== 'number') continue;
    const n = parseNum(numberText(val));
    if (!n) continue;
    if (f.type === 'integer') {
      if (fracDigits(n) > 0) c.add(key, 'type', { key: 'form.type.integer', args: {} });
      else if (Math.abs(val) > int64Max) {
        c.add(key, 'out_of_range', { key: 'form.out_of_range', args: { min: '-9223372036854775808', max: '9223372036854775807' } });
      }
    } else if (f.type === 'decimal' || f.type === 'currency' || f.type === 'percent') {
      const p = f.precision ?? 18, s = f.scale ?? 2;
      if (fracDigits(n) > s) c.add(key, 'scale', { key: 'form.scale', args: { scale: s, precision: p } });
      else if (intDigits(n) > p - s) c.add(key, 'precision', { key: 'form.precision', args: { digits: p - s, precision: p, scale: s } });
    }
  }
  return c.errors();
}

function hasNul(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (Array.isArray(v)) return v.some(hasNul);
  if (v && typeof v === 'object') return Object.entries(v).some(([k, e]) => k.includes('\u0000') || hasNul(e));
  return false;
}
