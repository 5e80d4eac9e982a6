// The filter builder's conditions and the expression language they become
// (README "Records": comparisons, &&, ||, in, contains, startsWith,
// endsWith, == nil). Values are always written as literals: strings quoted
// (JSON string syntax is expr's), numbers as numbers.
import type { Field } from '../../render/schema';

export type Op =
  | 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le' | 'contains' | 'startsWith' | 'endsWith'
  | 'empty' | 'notEmpty' | 'in' | 'has' | 'isTrue' | 'isFalse' | 'before' | 'after' | 'onOrBefore' | 'onOrAfter';

export interface Condition {
  field: string;
  op: Op;
  value?: unknown;
}

export interface FilterState {
  match: 'all' | 'any';
  conditions: Condition[];
}

const textOps: Op[] = ['contains', 'eq', 'ne', 'startsWith', 'endsWith', 'empty', 'notEmpty'];
const numberOps: Op[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le', 'empty', 'notEmpty'];
const dateOps: Op[] = ['eq', 'before', 'after', 'onOrBefore', 'onOrAfter', 'empty', 'notEmpty'];

/** opsFor lists the operators that make sense for a field, the default first. */
export function opsFor(f: Field): Op[] {
  switch (f.type) {
    case 'text': case 'textarea': case 'email': case 'phone': case 'url': case 'autonumber':
      return textOps;
    case 'number': case 'integer': case 'decimal': case 'currency': case 'percent': case 'rollup':
      return numberOps;
    case 'date': case 'datetime':
      return dateOps;
    case 'boolean':
      return ['isTrue', 'isFalse', 'empty'];
    case 'select':
      return ['in', 'eq', 'ne', 'empty', 'notEmpty'];
    case 'multiselect':
      return ['has', 'empty', 'notEmpty'];
    case 'lookup': case 'user':
      return ['eq', 'ne', 'empty', 'notEmpty'];
    case 'formula':
      return f.result === 'text' ? textOps : f.result === 'date' || f.result === 'datetime' ? dateOps : f.result === 'boolean' ? ['isTrue', 'isFalse'] : numberOps;
    default:
      return ['empty', 'notEmpty'];
  }
}

/** needsValue reports whether an operator takes a value. */
export const needsValue = (op: Op) => !['empty', 'notEmpty', 'isTrue', 'isFalse'].includes(op);

function literal(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return JSON.stringify(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

const binary: Partial<Record<Op, string>> = {
  eq: '==', ne: '!=', gt: '>', ge: '>=', lt: '<', le: '<=', before: '<', after: '>', onOrBefore: '<=', onOrAfter: '>=',
  contains: 'contains', startsWith: 'startsWith', endsWith: 'endsWith',
};

/** conditionExpr is one condition as an expression, or undefined while it is incomplete. */
export function conditionExpr(c: Condition, f: Field | undefined): string | undefined {
  if (!f) return undefined;
  const k = f.key;
  switch (c.op) {
    case 'empty': return `${k} == nil`;
    case 'notEmpty': return `${k} != nil`;
    case 'isTrue': return `${k} == true`;
    case 'isFalse': return `${k} == false`;
    case 'in': {
      const vs = (Array.isArray(c.value) ? c.value : c.value === undefined ? [] : [c.value]).map(literal).filter(Boolean);
      return vs.length ? `${k} in [${vs.join(', ')}]` : undefined;
    }
    case 'has': {
      const vs = (Array.isArray(c.value) ? c.value : c.value === undefined ? [] : [c.value]).map(literal).filter(Boolean);
      return vs.length ? '(' + vs.map((v) => `${v} in ${k}`).join(' || ') + ')' : undefined;
    }
  }
  const op = binary[c.op];
  const v = literal(c.value);
  if (!op || v === undefined) return undefined;
  return `${k} ${op} ${v}`;
}

/** toExpr joins the complete conditions with && (all) or || (any). */
export function toExpr(s: FilterState, fields: Field[]): string {
  const parts = s.conditions
    .map((c) => conditionExpr(c, fields.find((f) => f.key === c.field)))
    .filter((x): x is string => !!x);
  if (parts.length === 0) return '';
  if (parts.length === 1) return parts[0];
  return parts.map((p) => `(${p})`).join(s.match === 'any' ? ' || ' : ' && ');
}

/** quickSearch is "any text field contains q". */
export function quickSearch(q: string, fields: Field[]): string {
  const s = q.trim();
  if (!s || fields.length === 0) return '';
  const lit = JSON.stringify(s);
  return fields.map((f) => `${f.key} contains ${lit}`).join(' || ');
}

/** and joins expressions, each in parentheses. */
export function and(...exprs: string[]): string {
  const parts = exprs.filter((e) => e.trim());
  if (parts.length <= 1) return parts[0] ?? '';
  return parts.map((p) => `(${p})`).join(' && ');
}

/** errorPosition is the 1-based position a filter error names, if any. */
export function errorPosition(detail: string): number | undefined {
  const m = /position (\d+)|第 (\d+) 个字符/.exec(detail);
  const n = m ? Number(m[1] ?? m[2]) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export function encodeState(s: FilterState): string {
  return s.conditions.length ? JSON.stringify(s) : '';
}

export function decodeState(raw: string | null): FilterState {
  if (!raw) return { match: 'all', conditions: [] };
  try {
    const v = JSON.parse(raw) as FilterState;
    if (v && Array.isArray(v.conditions)) return { match: v.match === 'any' ? 'any' : 'all', conditions: v.conditions.filter((c) => c && typeof c.field === 'string') };
  } catch {
    /* a hand-edited URL */
  }
  return { match: 'all', conditions: [] };
}
