// The board's columns as the browser keeps them between pages and drops:
// an optimistic move (count and sum follow the card) that a refusal undoes
// by putting the previous columns back.
import type { RecordData } from '../../api/records';
import type { BoardColumn } from '../../api/work';

export interface Column extends Omit<BoardColumn, 'records'> {
  state: string;
  records: RecordData[];
}

/** toColumns types the server's columns (their records are plain records). */
export function toColumns(cols: BoardColumn[] | undefined): Column[] {
  return (cols ?? []).map((c) => ({ ...c, state: c.state ?? '', records: (c.records ?? []) as unknown as RecordData[] }));
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : 0;
}

/**
 * moveCard moves record id from column from to the top of column to:
 * counts change by one and, with sumField, sums by the card's value.
 * Columns not involved are the same objects; an unknown card or column
 * leaves everything as it was.
 */
export function moveCard(cols: Column[], id: string, from: string, to: string, stageField: string, sumField?: string): Column[] {
  if (from === to) return cols;
  const src = cols.find((c) => c.state === from);
  const dst = cols.find((c) => c.state === to);
  const card = src?.records.find((r) => r.id === id);
  if (!src || !dst || !card) return cols;
  const amount = sumField ? num(card[sumField]) : 0;
  const moved = { ...card, [stageField]: to };
  return cols.map((c) => {
    if (c === src) {
      return { ...c, records: c.records.filter((r) => r.id !== id), count: Math.max(0, (c.count ?? 1) - 1), sum: sumField && c.sum != null ? c.sum - amount : c.sum };
    }
    if (c === dst) {
      return { ...c, records: [moved, ...c.records], count: (c.count ?? 0) + 1, sum: sumField ? (c.sum ?? 0) + amount : c.sum };
    }
    return c;
  });
}

/** replaceCard puts the server's answer for a card in place (its new version). */
export function replaceCard(cols: Column[], rec: RecordData): Column[] {
  return cols.map((c) => (c.records.some((r) => r.id === rec.id) ? { ...c, records: c.records.map((r) => (r.id === rec.id ? { ...r, ...rec } : r)) } : c));
}

/** appendPage adds the next page of one column (its records not already shown) and its new cursor. */
export function appendPage(cols: Column[], state: string, page: Column | undefined): Column[] {
  if (!page) return cols;
  return cols.map((c) => {
    if (c.state !== state) return c;
    const seen = new Set(c.records.map((r) => r.id));
    return { ...c, records: [...c.records, ...page.records.filter((r) => !seen.has(r.id))], next_cursor: page.next_cursor };
  });
}

/** daysSince is whole days from an instant to now (days in stage on a card). */
export function daysSince(at: string | undefined | null, now: Date): number | undefined {
  if (!at) return undefined;
  const t = Date.parse(at);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, Math.floor((now.getTime() - t) / 86_400_000));
}
