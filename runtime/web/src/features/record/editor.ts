// Editing one record: values, field errors, the draft kept in this tab
// (so a reload or an ended session loses nothing), validation in the
// browser first, then the server's answer — 422 at the fields, 409 as
// "someone changed this record".
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError } from '../../api/http';
import type { RecordData } from '../../api/records';
import { formInput, useValidator, type Errors, type Values } from '../../render/RecordForm';
import type { Field, ModuleDef } from '../../render/schema';

export interface Stale {
  mine: Values;
  theirs: RecordData;
}

function readDraft(key: string): Values | undefined {
  try {
    const raw = sessionStorage.getItem(key);
    return raw ? (JSON.parse(raw) as Values) : undefined;
  } catch {
    return undefined;
  }
}

export function useEditor(opts: {
  def: ModuleDef;
  fields: Field[];
  initial: Values;
  draftKey: string;
  locale: string;
  save: (input: Values) => Promise<RecordData>;
  /** the current record, fetched again when the server says it changed */
  reload?: () => Promise<RecordData>;
}) {
  const { def, fields, draftKey, locale } = opts;
  const [draft] = useState(() => readDraft(draftKey));
  const [values, setValues] = useState<Values>(() => ({ ...opts.initial, ...(draft ?? {}) }));
  const [errors, setErrors] = useState<Errors>({});
  const [local, setLocal] = useState<Errors>({});
  const [saving, setSaving] = useState(false);
  const [detail, setDetail] = useState<string>();
  const [stale, setStale] = useState<Stale>();
  const validate = useValidator(def, fields);
  const dirty = useRef(!!draft);

  // Keep the draft in this tab while it is being edited.
  useEffect(() => {
    if (!dirty.current) return;
    const h = setTimeout(() => {
      // A save may have discarded the draft while this write was pending:
      // writing it now would bring a saved record's draft back next time.
      if (!dirty.current) return;
      try {
        sessionStorage.setItem(draftKey, JSON.stringify(values));
      } catch {
        /* storage full or blocked */
      }
    }, 300);
    return () => clearTimeout(h);
  }, [values, draftKey]);

  const change = useCallback((next: Values, field: string) => {
    dirty.current = true;
    setValues(next);
    setErrors((e) => {
      if (!(field in e)) return e;
      const { [field]: _gone, ...rest } = e;
      return rest;
    });
  }, []);

  const localError = useCallback((field: string, m: string | undefined) => {
    setLocal((e) => {
      const { [field]: _gone, ...rest } = e;
      return m ? { ...rest, [field]: m } : rest;
    });
  }, []);

  const discardDraft = useCallback(() => {
    try {
      sessionStorage.removeItem(draftKey);
    } catch {
      /* ignore */
    }
    dirty.current = false;
  }, [draftKey]);

  const reset = useCallback((v: Values) => {
    discardDraft();
    setValues(v);
    setErrors({});
    setLocal({});
    setDetail(undefined);
  }, [discardDraft]);

  /** submit validates and saves; it returns the saved record, or undefined when it did not save. */
  const submit = useCallback(async (): Promise<RecordData | undefined> => {
    setDetail(undefined);
    if (Object.keys(local).length) return undefined;
    const found = await validate(values);
    if (found.length) {
      setErrors(Object.fromEntries(found.map((e) => [e.field, e.message[locale] ?? e.message.en])));
      return undefined;
    }
    setErrors({});
    setSaving(true);
    try {
      const rec = await opts.save(formInput(fields, values));
      discardDraft();
      return rec;
    } catch (e) {
      if (e instanceof ApiError && e.status === 422 && e.fieldErrors.length) {
        const known = new Set(fields.map((f) => f.key));
        setErrors(Object.fromEntries(e.fieldErrors.filter((f) => known.has(f.field)).map((f) => [f.field, f.message])));
        const other = e.fieldErrors.filter((f) => !known.has(f.field));
        setDetail(other.length ? other.map((f) => f.message).join(' ') : undefined);
      } else if (e instanceof ApiError && e.status === 409 && opts.reload) {
        setStale({ mine: values, theirs: await opts.reload() });
      } else if (e instanceof ApiError && e.status === 401) {
        // The sign-in dialog is open; the draft is kept; saving again after signing in works.
      } else {
        setDetail((e as Error).message);
      }
      return undefined;
    } finally {
      setSaving(false);
    }
  }, [local, validate, values, locale, opts, fields, discardDraft]);

  const allErrors = useMemo(() => ({ ...errors, ...local }), [errors, local]);
  return { values, setValues, change, errors: allErrors, localError, saving, detail, submit, stale, setStale, reset, restoredDraft: !!draft, discardDraft };
}
