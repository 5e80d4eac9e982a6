// Recently opened records, kept in this browser.
export interface Recent {
  app: string;
  module: string;
  moduleLabel: string;
  id: string;
  title: string;
  at: string;
}
const key = 'tessera.recent';

export function recentRecords(): Recent[] {
  try {
    return JSON.parse(localStorage.getItem(key) ?? '[]') as Recent[];
  } catch {
    return [];
  }
}

export function rememberRecord(r: Omit<Recent, 'at'>): void {
  const list = recentRecords().filter((x) => !(x.app === r.app && x.module === r.module && x.id === r.id));
  list.unshift({ ...r, at: new Date().toISOString() });
  try {
    localStorage.setItem(key, JSON.stringify(list.slice(0, 12)));
  } catch {
    /* storage full or blocked */
  }
}
