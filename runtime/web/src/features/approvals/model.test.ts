import { describe, expect, it } from 'vitest';
import type { ApprovalInstance } from '../../api/work';
import { dueState, mayWithdraw, myTask, returnTargets, steps } from './model';

const now = new Date('2026-12-04T10:00:00Z');

describe('dueState', () => {
  it('is overdue past the due time, soon within the window, ok after it', () => {
    expect(dueState('2026-12-04T09:59:00Z', now)).toBe('overdue');
    expect(dueState('2026-12-04T13:00:00Z', now)).toBe('soon');
    expect(dueState('2026-12-05T10:00:00Z', now)).toBe('ok');
    expect(dueState(undefined, now)).toBeUndefined();
    expect(dueState('not a time', now)).toBeUndefined();
  });
});

const inst: ApprovalInstance = {
  id: 'i1', status: 'pending', step: 'director', submitter: 'u-rep',
  steps: [{ key: 'manager', mode: 'any' }, { key: 'director', mode: 'all' }, { key: 'finance', mode: 'any' }],
  tasks: [
    { id: 't0', step: 'manager', round: 1, status: 'returned', assignee: 'u-man' },
    { id: 't1', step: 'manager', round: 2, status: 'approved', assignee: 'u-man', acted_at: '2026-12-04T08:00:00Z' },
    { id: 't2', step: 'director', round: 1, status: 'approved', assignee: 'u-d1' },
    { id: 't3', step: 'director', round: 1, status: 'pending', assignee: 'u-d2', due_at: '2026-12-04T12:00:00Z' },
    { id: 't4', step: 'director', round: 1, status: 'pending', assignee: 'u-d3', due_at: '2026-12-04T09:00:00Z' },
  ],
  decisions: [{ id: 'd1', step: 'manager', action: 'approve', actor: 'u-man', comment: 'ok' }],
};

describe('steps', () => {
  it('reads each step from its latest round: approved, current with its earliest due, waiting', () => {
    const v = steps(inst);
    expect(v.map((s) => s.status)).toEqual(['approved', 'current', 'waiting']);
    expect(v[0].tasks.map((t) => t.id)).toEqual(['t1']);
    expect(v[0].decisions).toHaveLength(1);
    expect(v[1].due).toBe('2026-12-04T09:00:00Z');
  });
  it('needs every task approved for a 会签 step, one for a 或签 step', () => {
    const done: ApprovalInstance = { ...inst, status: 'approved', step: '', tasks: [
      { id: 'a', step: 'manager', status: 'approved' },
      { id: 'b', step: 'director', status: 'approved' }, { id: 'c', step: 'director', status: 'pending' },
    ] };
    expect(steps(done).map((s) => s.status)).toEqual(['approved', 'waiting', 'skipped']);
  });
  it('shows a rejection', () => {
    const rej: ApprovalInstance = { ...inst, status: 'rejected', tasks: [{ id: 'a', step: 'manager', status: 'rejected' }] };
    expect(steps(rej)[0].status).toBe('rejected');
  });
});

describe('who may do what', () => {
  it('finds the user\'s pending task only while pending', () => {
    expect(myTask(inst, 'u-d2')?.id).toBe('t3');
    expect(myTask(inst, 'u-d1')).toBeUndefined();
    expect(myTask({ ...inst, status: 'approved' }, 'u-d2')).toBeUndefined();
  });
  it('lets the submitter withdraw while pending', () => {
    expect(mayWithdraw(inst, 'u-rep')).toBe(true);
    expect(mayWithdraw(inst, 'u-d2')).toBe(false);
    expect(mayWithdraw({ ...inst, status: 'withdrawn' }, 'u-rep')).toBe(false);
  });
  it('returns to the submitter or an earlier step', () => {
    expect(returnTargets(inst).map((s) => s.key)).toEqual(['submitter', 'manager']);
  });
});
