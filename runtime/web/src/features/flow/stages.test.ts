import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/http';
import type { Flow } from '../../api/work';
import { leaves, optionFor, optionRefusal, pathStages, refusalOf, transitionFor } from './stages';

const flow: Flow = {
  key: 'pipe', module: 'deal', field: 'stage',
  states: [
    { key: 'new', label: { en: 'New' }, kind: 'open', initial: true },
    { key: 'talk', label: { en: 'Talk' }, kind: 'open' },
    { key: 'won', label: { en: 'Won' }, kind: 'won' },
    { key: 'lost', label: { en: 'Lost' }, kind: 'lost' },
  ],
  transitions: [
    { key: 'start', from: ['new'], to: 'talk', label: { en: 'Start' } },
    { key: 'win', from: ['talk'], to: 'won', label: { en: 'Win' }, guard: 'amount > 0' },
    { key: 'lose', from: '*', to: 'lost', label: { en: 'Lose' } },
  ],
};

describe('pathStages', () => {
  it('marks the open states before the current one done and the current one current', () => {
    expect(pathStages(flow, 'talk').map((s) => s.status)).toEqual(['done', 'current', 'todo', 'todo']);
  });
  it('never marks a lost state passed, and a won record has every open state done', () => {
    expect(pathStages(flow, 'lost').map((s) => s.status)).toEqual(['done', 'done', 'todo', 'current']);
    expect(pathStages(flow, 'won').map((s) => `${s.key}:${s.status}:${s.kind}`)).toEqual(['new:done:open', 'talk:done:open', 'won:current:won', 'lost:todo:lost']);
  });
  it('has nothing done or current for an unknown or empty state', () => {
    expect(pathStages(flow, undefined).every((s) => s.status === 'todo')).toBe(true);
  });
});

describe('transitions', () => {
  it('"*" leaves every state but its target', () => {
    const lose = flow.transitions![2];
    expect(leaves(lose, 'new')).toBe(true);
    expect(leaves(lose, 'lost')).toBe(false);
  });
  it('finds the transition of a drop, or none', () => {
    expect(transitionFor(flow, 'new', 'talk')?.key).toBe('start');
    expect(transitionFor(flow, 'talk', 'lost')?.key).toBe('lose');
    expect(transitionFor(flow, 'new', 'won')).toBeUndefined();
  });
  it('prefers an allowed option for the target of this flow', () => {
    const opts = [
      { key: 'a', flow: 'pipe', to: 'won', allowed: false, reasons: ['no'] },
      { key: 'b', flow: 'pipe', to: 'won', allowed: true },
      { key: 'c', flow: 'other', to: 'won', allowed: true },
    ];
    expect(optionFor(opts, 'pipe', 'won')?.key).toBe('b');
    expect(optionFor(opts.slice(0, 1), 'pipe', 'won')?.key).toBe('a');
    expect(optionFor(opts, 'pipe', 'talk')).toBeUndefined();
  });
});

describe('refusals', () => {
  it('splits the guard messages (on the stage field) from the fields to fill', () => {
    const e = new ApiError({ status: 422, detail: 'Not moved', errors: [
      { field: 'stage', code: 'guard', message: 'Amount must be positive' },
      { field: 'amount', code: 'required', message: 'Amount is required to enter Won' },
    ] });
    expect(refusalOf(e, 'stage')).toEqual({ messages: ['Amount must be positive'], fields: { amount: 'Amount is required to enter Won' } });
  });
  it('falls back to the detail (a role refusal has no field errors) and ignores other errors', () => {
    expect(refusalOf(new ApiError({ status: 403, detail: 'Only managers' }), 'stage')).toEqual({ messages: ['Only managers'], fields: {} });
    expect(refusalOf(new ApiError({ status: 500, detail: 'boom' }), 'stage')).toBeUndefined();
    expect(refusalOf(new Error('x'), 'stage')).toBeUndefined();
  });
  it('reads an option the server will refuse before it is tried', () => {
    expect(optionRefusal({ allowed: true })).toBeUndefined();
    expect(optionRefusal({ allowed: false, reasons: ['Needs a quote'], missing: ['close_date'] })).toEqual({ messages: ['Needs a quote'], fields: { close_date: '' } });
  });
});
