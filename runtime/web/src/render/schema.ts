// A module's JSON Schema, read into fields in form order — the browser's
// counterpart of engine/meta's field registry. Nothing here knows any
// particular module.
export type Label = Record<string, string>;

export type FieldType =
  | 'text' | 'textarea' | 'email' | 'phone' | 'url'
  | 'number' | 'integer' | 'decimal' | 'currency' | 'percent'
  | 'boolean' | 'date' | 'datetime' | 'select' | 'multiselect'
  | 'lookup' | 'user' | 'autonumber' | 'formula' | 'rollup' | 'json' | 'tree' | 'region';

export const fieldTypes: FieldType[] = [
  'text', 'textarea', 'email', 'phone', 'url', 'number', 'integer', 'decimal', 'currency', 'percent',
  'boolean', 'date', 'datetime', 'select', 'multiselect', 'lookup', 'user', 'autonumber', 'formula', 'rollup', 'json',
  'tree', 'region',
];

export interface Option {
  value: string;
  label?: Label;
  color?: string;
  /** tree: the value of the node this one lies under */
  parent?: string;
}

/** A China administrative division, as GET /api/regions returns it. */
export interface RegionNode {
  code: string;
  name: string;
  children?: RegionNode[];
}

export interface Field {
  key: string;
  type: FieldType;
  label: Label;
  help?: Label;
  placeholder?: Label;
  required: boolean;
  /** computed or system-filled (autonumber, formula, rollup) or read-only for this user */
  readOnly: boolean;
  options: Option[];
  /** lookup target module key (same app); rollup child module */
  module?: string;
  precision?: number;
  scale?: number;
  /** formula result type */
  result?: string;
  /** region: the deepest level (province, city, district) */
  level?: string;
  schema: Record<string, unknown>;
}

export interface ModuleDef {
  app: string;
  key: string;
  label: Label;
  version: number;
  schema: Record<string, unknown>;
}

export interface Layout {
  sections: { title?: Label; columns?: 1 | 2 | 3; fields: string[] }[];
}

const computed = new Set<FieldType>(['autonumber', 'formula', 'rollup']);

/** defaultScale mirrors engine/meta/field_number.go. */
function decimalDefaults(type: FieldType): [number, number] | undefined {
  if (type === 'decimal' || type === 'currency') return [18, 2];
  if (type === 'percent') return [9, 4];
  return undefined;
}

export function parseFields(schema: Record<string, unknown>): Field[] {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const out: Field[] = [];
  for (const [key, prop] of Object.entries(props)) {
    const x = (prop['x-field'] ?? {}) as Record<string, unknown>;
    const type = (x.type as FieldType) ?? 'text';
    let precision = x.precision as number | undefined;
    let scale = x.scale as number | undefined;
    const d = decimalDefaults(type);
    if (d) {
      if (!precision) {
        precision = d[0];
        if (scale === undefined || scale === 0) scale = d[1];
      }
      scale ??= 0;
    }
    out.push({
      key,
      type,
      label: (x.label as Label) ?? {},
      help: x.help as Label | undefined,
      placeholder: x.placeholder as Label | undefined,
      required: required.has(key),
      readOnly: computed.has(type) || prop.readOnly === true,
      options: (x.options as Option[] | undefined) ?? [],
      module: x.module as string | undefined,
      precision,
      scale,
      result: x.result as string | undefined,
      level: x.level as string | undefined,
      schema: prop,
    });
  }
  return out;
}

/** titleField mirrors meta.Module.TitleField: x-title, else the first required text field, else the first text field. */
export function titleField(schema: Record<string, unknown>, fields: Field[]): Field | undefined {
  const xt = schema['x-title'];
  if (typeof xt === 'string') {
    const f = fields.find((f) => f.key === xt);
    if (f) return f;
  }
  const texts = fields.filter((f) => f.type === 'text');
  return texts.find((f) => f.required) ?? texts[0];
}

/** textFields are the fields quick search looks in. */
export function textFields(fields: Field[]): Field[] {
  return fields.filter((f) => ['text', 'textarea', 'email', 'phone', 'url', 'autonumber'].includes(f.type));
}

/** layoutOf is the schema's x-layout, or one section of every field in order. */
export function layoutOf(schema: Record<string, unknown>, fields: Field[]): Layout {
  const l = schema['x-layout'] as Layout | undefined;
  if (l && Array.isArray(l.sections)) {
    const known = new Set(fields.map((f) => f.key));
    const placed = new Set<string>();
    const sections = l.sections.map((s) => ({
      ...s,
      fields: (s.fields ?? []).filter((k) => known.has(k) && !placed.has(k) && placed.add(k)),
    }));
    const rest = fields.filter((f) => !placed.has(f.key)).map((f) => f.key);
    if (rest.length) sections.push({ fields: rest });
    return { sections };
  }
  return { sections: [{ columns: 2, fields: fields.map((f) => f.key) }] };
}

/** pick is a localized text: the locale, else English, else any. */
export function pick(l: Label | undefined, locale: string): string {
  if (!l) return '';
  return l[locale] || l.en || Object.values(l).find(Boolean) || '';
}

export function fieldLabel(f: Field, locale: string): string {
  return pick(f.label, locale) || f.key;
}

export function optionLabel(f: Field, value: string, locale: string): string {
  const o = f.options.find((o) => o.value === value);
  return (o && pick(o.label, locale)) || value;
}

/** treePath is a tree node's labels from the root, "制造业 › 汽车零部件" (the value when unknown). */
export function treePath(f: Field, value: string, locale: string): string {
  const byValue = new Map(f.options.map((o) => [o.value, o]));
  const names: string[] = [];
  for (let o = byValue.get(value); o && names.length <= f.options.length; o = o.parent ? byValue.get(o.parent) : undefined) {
    names.unshift(pick(o.label, locale) || o.value);
  }
  return names.length ? names.join(' › ') : value;
}

/** regionPath is the divisions from the province down to code (empty when unknown). */
export function regionPath(tree: RegionNode[] | undefined, code: string): RegionNode[] {
  // A code names its province and city by prefix (engine/region).
  const want = [code.slice(0, 2) + '0000', code.slice(0, 4) + '00', code];
  const path: RegionNode[] = [];
  let level = tree ?? [];
  for (const c of want) {
    if (path.length && path[path.length - 1].code === c) continue;
    const n = level.find((x) => x.code === c);
    if (!n) break;
    path.push(n);
    level = n.children ?? [];
  }
  return path.length && path[path.length - 1].code === code ? path : [];
}

/** isNumeric types hold numbers. */
export function isNumeric(f: Field): boolean {
  return ['number', 'integer', 'decimal', 'currency', 'percent'].includes(f.type) ||
    (f.type === 'formula' && ['number', 'integer', 'decimal'].includes(f.result ?? '')) ||
    (f.type === 'rollup');
}
