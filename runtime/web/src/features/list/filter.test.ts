import { describe, expect, it } from 'vitest';
import { parseFields, textFields } from '../../render/schema';
import { and, errorPosition, quickSearch, toExpr } from './filter';

const fields = parseFields({
  properties: {
    name: { 'x-field': { type: 'text' } },
    amount: { 'x-field': { type: 'currency' } },
    stage: { 'x-field': { type: 'select', options: [{ value: 'won' }, { value: 'lost' }] } },
    tags: { 'x-field': { type: 'multiselect', options: [{ value: 'vip' }] } },
    due: { 'x-field': { type: 'date' } },
    ok: { 'x-field': { type: 'boolean' } },
  },
});

describe('the filter builder writes the expression language', () => {
  it('joins conditions with && or ||', () => {
    const c = [
      { field: 'amount', op: 'gt' as const, value: 1000 },
      { field: 'stage', op: 'in' as const, value: ['won', 'lost'] },
      { field: 'name', op: 'startsWith' as const, value: '华' },
    ];
    expect(toExpr({ match: 'all', conditions: c }, fields)).toBe('(amount > 1000) && (stage in ["won", "lost"]) && (name startsWith "华")');
    expect(toExpr({ match: 'any', conditions: c.slice(0, 2) }, fields)).toBe('(amount > 1000) || (stage in ["won", "lost"])');
  });
  it('quotes values so they stay values', () => {
    expect(toExpr({ match: 'all', conditions: [{ field: 'name', op: 'eq', value: 'a" || true || "' }] }, fields)).toBe('name == "a\\" || true || \\""');
  });
  it('multiselect, dates, empties and booleans', () => {
    expect(toExpr({ match: 'all', conditions: [{ field: 'tags', op: 'has', value: ['vip'] }] }, fields)).toBe('("vip" in tags)');
    expect(toExpr({ match: 'all', conditions: [{ field: 'due', op: 'onOrBefore', value: '2026-03-31' }] }, fields)).toBe('due <= "2026-03-31"');
    expect(toExpr({ match: 'all', conditions: [{ field: 'name', op: 'empty' }] }, fields)).toBe('name == nil');
    expect(toExpr({ match: 'all', conditions: [{ field: 'ok', op: 'isTrue' }] }, fields)).toBe('ok == true');
  });
  it('leaves out incomplete conditions and unknown fields', () => {
    expect(toExpr({ match: 'all', conditions: [{ field: 'amount', op: 'gt' }, { field: 'nope', op: 'empty' }] }, fields)).toBe('');
  });
  it('quick search looks in every text field', () => {
    expect(quickSearch(' 华东 ', textFields(fields))).toBe('name contains "华东"');
    expect(and('a == 1', '', 'b == 2')).toBe('(a == 1) && (b == 2)');
  });
  it('finds the position in the server error in both languages', () => {
    expect(errorPosition('The filter has a syntax error at position 12: unexpected token.')).toBe(12);
    expect(errorPosition('筛选条件在第 7 个字符处有语法错误：x。')).toBe(7);
    expect(errorPosition('no position')).toBeUndefined();
  });
});
