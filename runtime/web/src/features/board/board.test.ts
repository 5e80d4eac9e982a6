import { describe, expect, it } from 'vitest';
import type { RecordData } from '../../api/records';
import { appendPage, daysSince, moveCard, replaceCard, type Column } from './board';

const rec = (id: string, stage: string, amount: number): RecordData => ({ id, version: 1, created_at: '', updated_at: '', stage, amount });
const cols = (): Column[] => [
  { state: 'new', count: 2, sum: 300, records: [rec('a', 'new', 100), rec('b', 'new', 200)] },
  { state: 'talk', count: 1, sum: 50, records: [rec('c', 'talk', 50)] },
  { state: 'won', count: 0, sum: null, records: [] },
];

describe('moveCard', () => {
  it('moves the card to the top of the target with counts and sums', () => {
    const next = moveCard(cols(), 'b', 'new', 'talk', 'stage', 'amount');
    expect(next[0]).toMatchObject({ count: 1, sum: 100 });
    expect(next[0].records.map((r) => r.id)).toEqual(['a']);
    expect(next[1]).toMatchObject({ count: 2, sum: 250 });
    expect(next[1].records[0]).toMatchObject({ id: 'b', stage: 'talk' });
  });
  it('starts a sum in an empty column and leaves other columns as they were', () => {
    const before = cols();
    const next = moveCard(before, 'c', 'talk', 'won', 'stage', 'amount');
    expect(next[2]).toMatchObject({ count: 1, sum: 50 });
    expect(next[0]).toBe(before[0]);
  });
  it('changes nothing for an unknown card, column or the same column (the previous columns are kept for undo)', () => {
    const before = cols();
    expect(moveCard(before, 'zz', 'new', 'talk', 'stage')).toBe(before);
    expect(moveCard(before, 'a', 'new', 'nowhere', 'stage')).toBe(before);
    expect(moveCard(before, 'a', 'new', 'new', 'stage')).toBe(before);
    expect(before[0].records).toHaveLength(2);
  });
});

describe('pages and answers', () => {
  it('appends a page without repeating cards and takes its cursor', () => {
    const next = appendPage(cols(), 'new', { state: 'new', records: [rec('b', 'new', 200), rec('d', 'new', 1)], next_cursor: 'k2' });
    expect(next[0].records.map((r) => r.id)).toEqual(['a', 'b', 'd']);
    expect(next[0].next_cursor).toBe('k2');
  });
  it('puts the server\'s version of a card in place', () => {
    const next = replaceCard(cols(), { ...rec('c', 'talk', 50), version: 7 });
    expect(next[1].records[0].version).toBe(7);
  });
  it('counts whole days in stage', () => {
    expect(daysSince('2026-12-01T10:00:00Z', new Date('2026-12-04T09:00:00Z'))).toBe(2);
    expect(daysSince(undefined, new Date())).toBeUndefined();
  });
});
