// How other modules hang off a record, read from their schemas: line items
// (children the parent rolls up — master-detail), activity-like modules
// (x-timeline) that the quick follow-up box writes to, and the values a
// new related record starts with.
import { parseFields, titleField, type Field, type ModuleDef } from '../../render/schema';

export interface ChildModule {
  def: ModuleDef;
  via: string; // the child's lookup field pointing at the parent
}

/**
 * lineItemModules are the children the parent rolls up (a rollup field
 * naming the child and its lookup): those are its lines, edited in a grid.
 * Other modules that look the parent up are related lists.
 */
export function lineItemModules(mods: ModuleDef[], parent: ModuleDef): ChildModule[] {
  const rolled = new Set<string>();
  for (const f of parseFields(parent.schema)) {
    if (f.type !== 'rollup') continue;
    const x = (f.schema['x-field'] ?? {}) as { module?: string; via?: string };
    if (x.module && x.via) rolled.add(`${x.module}.${x.via}`);
  }
  const out: ChildModule[] = [];
  for (const m of mods) {
    if (m.key === parent.key) continue;
    const via = parseFields(m.schema).find((f) => f.type === 'lookup' && f.module === parent.key && rolled.has(`${m.key}.${f.key}`));
    if (via) out.push({ def: m, via: via.key });
  }
  return out;
}

export interface ActivityModule extends ChildModule {
  dateField: string;
}

/** activityModules are the x-timeline modules with a lookup to module. */
export function activityModules(mods: ModuleDef[], module: string): ActivityModule[] {
  const out: ActivityModule[] = [];
  for (const m of mods) {
    const tl = m.schema['x-timeline'] as { date_field?: string } | undefined;
    if (!tl?.date_field) continue;
    const via = parseFields(m.schema).find((f) => f.type === 'lookup' && f.module === module);
    if (via) out.push({ def: m, via: via.key, dateField: tl.date_field });
  }
  return out;
}

/** quickChoices are the required select fields a follow-up must name (shown as small selects). */
export function quickChoices(a: ActivityModule): Field[] {
  return parseFields(a.def.schema).filter((f) => f.required && f.type === 'select' && f.options.length > 0 && f.key !== a.via);
}

/**
 * inheritedLookups copies the parent's lookups that the child also has:
 * a follow-up on a deal names the deal's customer too (the child's rules
 * may ask for it).
 */
export function inheritedLookups(child: ModuleDef, via: string, parent: ModuleDef, rec: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const parentLookups = parseFields(parent.schema).filter((f) => f.type === 'lookup');
  for (const f of parseFields(child.schema)) {
    if (f.type !== 'lookup' || f.key === via) continue;
    const p = parentLookups.find((pf) => pf.module === f.module);
    const v = p ? rec[p.key] : undefined;
    if (typeof v === 'string' && v) out[f.key] = v;
  }
  return out;
}

function clip(s: string, f: Field): string {
  const max = typeof f.schema.maxLength === 'number' ? f.schema.maxLength : 80;
  const chars = [...s];
  return chars.length > max ? chars.slice(0, Math.max(1, max - 1)).join('').trimEnd() + '…' : s;
}

/**
 * followUpValues is the record the quick box writes: the lookup to the
 * parent, the date field now, the title the first line of the text and the
 * first long-text field the whole text (or, with none, the title holds it).
 */
export function followUpValues(a: ActivityModule, parentId: string, text: string, now: Date, choices: Record<string, string>, inherited: Record<string, unknown> = {}): Record<string, unknown> {
  const fields = parseFields(a.def.schema);
  const title = titleField(a.def.schema, fields);
  const body = fields.find((f) => f.type === 'textarea');
  const date = fields.find((f) => f.key === a.dateField);
  const v: Record<string, unknown> = { ...inherited, ...choices, [a.via]: parentId };
  if (date) v[date.key] = date.type === 'date' ? now.toISOString().slice(0, 10) : now.toISOString();
  const trimmed = text.trim();
  const first = trimmed.split('\n')[0].trim();
  if (title) v[title.key] = clip(first, title);
  if (body && body !== title) v[body.key] = trimmed;
  return v;
}
