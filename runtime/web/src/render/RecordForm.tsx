// A record form generated from a module's JSON Schema and optional layout
// (x-layout: sections of 1–3 columns). Hidden fields never reach the
// browser (the server strips them from the schema), so they are never
// rendered; read-only fields are shown disabled. Field errors — the
// browser's own check or the server's 422 — sit under their fields.
import { Col, Descriptions, Form, Row, Typography } from 'antd';
import { useCallback, useEffect, useMemo, useRef, type ReactNode } from 'react';
import { useRender } from './context';
import { FieldValue } from './Value';
import { FieldWidget } from './widgets';
import { fieldLabel, layoutOf, parseFields, pick, type Field, type ModuleDef } from './schema';
import { validateRecord, type FieldError } from './validate';
import { schemaCheck } from './validator';

export type Values = Record<string, unknown>;
export type Errors = Record<string, string>;

export interface RecordFormProps {
  module: ModuleDef;
  values: Values;
  onChange?: (next: Values, changedField: string) => void;
  errors?: Errors;
  onLocalError?: (field: string, message: string | undefined) => void;
  /** read: values as text (the record page); edit: inputs */
  mode?: 'edit' | 'read';
  /** expand entries of the record (lookup titles, user names) for read mode */
  expand?: Record<string, unknown>;
  /** fields not to show (e.g. the lookup to the parent inside a line item) */
  omit?: string[];
  /** idPrefix keeps ids unique when several forms share a page */
  idPrefix?: string;
  footer?: ReactNode;
}

export function useFields(module: ModuleDef): Field[] {
  return useMemo(() => parseFields(module.schema), [module.schema]);
}

/** editable are the fields a form sends (computed fields are the server's). */
export function editable(fields: Field[]): Field[] {
  return fields.filter((f) => !['autonumber', 'formula', 'rollup'].includes(f.type));
}

/** formInput is what a form sends: its editable fields with a value. */
export function formInput(fields: Field[], values: Values, opts: { includeReadOnly?: boolean } = {}): Values {
  const out: Values = {};
  for (const f of editable(fields)) {
    if (f.readOnly && !opts.includeReadOnly) continue;
    const v = values[f.key];
    if (v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)) out[f.key] = v;
  }
  return out;
}

/** useValidator validates a form's values like the server (see validate.ts). */
export function useValidator(module: ModuleDef, fields: Field[]) {
  const check = useMemo(() => schemaCheck(`${module.app}/${module.key}@${module.version}`, module.schema), [module]);
  return useCallback(
    (values: Values): Promise<FieldError[]> => validateRecord(fields, formInput(fields, values, { includeReadOnly: true }), check),
    [fields, check],
  );
}

export function RecordForm(p: RecordFormProps) {
  const svc = useRender();
  const locale = svc.format.locale;
  const fields = useFields(p.module);
  const byKey = useMemo(() => new Map(fields.map((f) => [f.key, f])), [fields]);
  const layout = useMemo(() => layoutOf(p.module.schema, fields), [p.module.schema, fields]);
  const omit = new Set(p.omit ?? []);
  const prefix = p.idPrefix ?? `f-${p.module.key}`;
  // When errors appear, the first field in error (in form order) gets the focus.
  const hadErrors = useRef(false);
  const errorKeys = Object.keys(p.errors ?? {});
  useEffect(() => {
    const has = errorKeys.length > 0;
    if (has && !hadErrors.current) {
      const first = layout.sections.flatMap((s) => s.fields).find((k) => p.errors?.[k]);
      const el = first && document.getElementById(`${prefix}-${first}`);
      if (el) {
        el.focus();
        el.scrollIntoView?.({ block: 'center' });
      }
    }
    hadErrors.current = has;
  });

  if (p.mode === 'read') {
    return (
      <>
        {layout.sections.map((s, i) => (
          <Descriptions
            key={i}
            title={s.title ? pick(s.title, locale) : undefined}
            column={{ xs: 1, sm: 1, md: Math.min(s.columns ?? 2, 2), lg: s.columns ?? 2 }}
            size="middle"
            items={s.fields.filter((k) => !omit.has(k) && byKey.has(k)).map((k) => {
              const f = byKey.get(k)!;
              return {
                key: k,
                label: fieldLabel(f, locale),
                children: <FieldValue field={f} value={p.values[k]} expanded={(p.expand?.[k] as Record<string, unknown>) ?? undefined} />,
              };
            })}
          />
        ))}
      </>
    );
  }

  return (
    <Form layout="vertical" component="div" requiredMark>
      {layout.sections.map((s, i) => (
        <section key={i} className="t-form-section">
          {s.title && <Typography.Title level={5}>{pick(s.title, locale)}</Typography.Title>}
          <Row gutter={16}>
            {s.fields.filter((k) => !omit.has(k) && byKey.has(k)).map((k) => {
              const f = byKey.get(k)!;
              const id = `${prefix}-${k}`;
              const err = p.errors?.[k];
              const help = pick(f.help, locale);
              const wide = f.type === 'textarea' || f.type === 'json';
              const cols = s.columns ?? 2;
              return (
                <Col key={k} xs={24} md={wide ? 24 : 24 / cols}>
                  <Form.Item
                    label={fieldLabel(f, locale)}
                    htmlFor={id}
                    required={f.required && !f.readOnly}
                    validateStatus={err ? 'error' : undefined}
                    help={err ? <span id={`${id}-error`} role="alert">{err}</span> : undefined}
                    extra={help ? <span id={`${id}-help`}>{help}</span> : undefined}
                  >
                    <FieldWidget
                      field={f}
                      id={id}
                      value={p.values[k]}
                      disabled={!p.onChange}
                      aria-invalid={!!err}
                      aria-describedby={[err ? `${id}-error` : '', help ? `${id}-help` : ''].filter(Boolean).join(' ') || undefined}
                      onChange={(v) => p.onChange?.({ ...p.values, [k]: v }, k)}
                      onLocalError={(m) => p.onLocalError?.(k, m)}
                    />
                  </Form.Item>
                </Col>
              );
            })}
          </Row>
        </section>
      ))}
      {p.footer}
    </Form>
  );
}
