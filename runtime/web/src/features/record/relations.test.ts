import { describe, expect, it } from 'vitest';
import type { ModuleDef } from '../../render/schema';
import { activityModules, followUpValues, inheritedLookups, lineItemModules, quickChoices } from './relations';

const mod = (key: string, schema: Record<string, unknown>): ModuleDef => ({ app: 'a', key, label: {}, version: 1, schema });
const account = mod('account', { properties: { name: { 'x-field': { type: 'text' } } } });
const deal = mod('deal', { properties: {
  title: { 'x-field': { type: 'text' } },
  account: { 'x-field': { type: 'lookup', module: 'account' } },
  amount: { 'x-field': { type: 'rollup', module: 'line', via: 'deal', op: 'sum', field: 'total' } },
} });
const line = mod('line', { properties: { deal: { 'x-field': { type: 'lookup', module: 'deal' } } } });
const contact = mod('contact', { properties: { account: { 'x-field': { type: 'lookup', module: 'account' } } } });
const activity = mod('activity', {
  properties: {
    subject: { maxLength: 10, 'x-field': { type: 'text' } },
    kind: { 'x-field': { type: 'select', options: [{ value: 'call' }, { value: 'visit' }] } },
    at: { 'x-field': { type: 'datetime' } },
    account: { 'x-field': { type: 'lookup', module: 'account' } },
    deal: { 'x-field': { type: 'lookup', module: 'deal' } },
    notes: { 'x-field': { type: 'textarea' } },
  },
  required: ['subject', 'kind', 'at'], 'x-title': 'subject', 'x-timeline': { date_field: 'at' },
});
const all = [account, deal, line, contact, activity];

describe('relations', () => {
  it('line items are only the children the parent rolls up', () => {
    expect(lineItemModules(all, deal).map((c) => `${c.def.key}.${c.via}`)).toEqual(['line.deal']);
    expect(lineItemModules(all, account)).toEqual([]);
  });
  it('activity modules are x-timeline modules with a lookup here', () => {
    expect(activityModules(all, 'deal').map((a) => `${a.def.key}.${a.via}.${a.dateField}`)).toEqual(['activity.deal.at']);
    expect(activityModules(all, 'contact')).toEqual([]);
  });
  it('asks for the required selects', () => {
    expect(quickChoices(activityModules(all, 'deal')[0]).map((f) => f.key)).toEqual(['kind']);
  });
});

describe('followUpValues', () => {
  const a = activityModules(all, 'deal')[0];
  const now = new Date('2026-12-04T10:00:00Z');
  it('writes the lookup, now, the first line as the subject (clipped) and the text as notes', () => {
    const v = followUpValues(a, 'd1', '  Called 张总 about the quote\nhe will sign  ', now, { kind: 'call' }, { account: 'acc1' });
    expect(v).toEqual({
      deal: 'd1', at: '2026-12-04T10:00:00.000Z', subject: 'Called 张总…', notes: 'Called 张总 about the quote\nhe will sign', kind: 'call', account: 'acc1',
    });
    expect([...(v.subject as string)].length).toBeLessThanOrEqual(10);
  });
  it('inherits the parent\'s lookups the activity also has', () => {
    expect(inheritedLookups(activity, 'deal', deal, { id: 'd1', account: 'acc1' })).toEqual({ account: 'acc1' });
    expect(inheritedLookups(activity, 'deal', deal, { id: 'd1' })).toEqual({});
  });
});
