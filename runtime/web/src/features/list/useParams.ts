// The list's and the board's state lives in the query string (deep links,
// back button); setParam changes several keys at once, an empty value
// removing its key, without adding a history entry per keystroke.
import { useCallback } from 'react';
import { useSearchParams } from 'react-router';

export function useQueryState() {
  const [params, setParams] = useSearchParams();
  const setParam = useCallback((changes: Record<string, string>) => {
    setParams((p) => {
      const n = new URLSearchParams(p);
      for (const [k, v] of Object.entries(changes)) {
        if (v) n.set(k, v);
        else n.delete(k);
      }
      return n;
    }, { replace: true });
  }, [setParams]);
  return [params, setParam] as const;
}
