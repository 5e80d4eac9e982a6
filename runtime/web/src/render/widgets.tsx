// One input widget per field type — the browser's counterpart of the Go
// field registry. Each is controlled: value is the JSON value the record
// API takes (undefined = no value), onChange reports the next one.
import { Cascader, DatePicker, Divider, Input, InputNumber, Select, Switch, Button, Space, Modal, TreeSelect, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useRender, type RecordRef } from './context';
import { dayjs } from './format';
import { FieldValue, colorOf } from './Value';
import { fieldLabel, pick, titleField, parseFields, regionPath, type Field, type FieldType, type Option, type RegionNode } from './schema';

export interface WidgetProps {
  field: Field;
  id: string;
  value: unknown;
  onChange: (v: unknown) => void;
  disabled?: boolean;
  /** reports a problem the widget found itself (e.g. text that is not JSON); undefined clears it */
  onLocalError?: (message: string | undefined) => void;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}

type Widget = (p: WidgetProps) => ReactNode;

const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const orUndef = (s: string) => (s === '' ? undefined : s);

function aria(p: WidgetProps) {
  return { id: p.id, 'aria-invalid': p['aria-invalid'], 'aria-describedby': p['aria-describedby'] };
}

function placeholder(p: WidgetProps, locale: string): string | undefined {
  return pick(p.field.placeholder, locale) || undefined;
}

function TextWidget(p: WidgetProps & { inputType?: string; inputMode?: 'email' | 'tel' | 'url' | 'text' }) {
  const { format } = useRender();
  const max = typeof p.field.schema.maxLength === 'number' ? p.field.schema.maxLength : undefined;
  return (
    <Input
      {...aria(p)}
      type={p.inputType ?? 'text'}
      inputMode={p.inputMode}
      value={str(p.value)}
      maxLength={max}
      disabled={p.disabled}
      placeholder={placeholder(p, format.locale)}
      autoComplete={p.field.type === 'email' ? 'email' : p.field.type === 'phone' ? 'tel' : 'off'}
      onChange={(e) => p.onChange(orUndef(e.target.value))}
    />
  );
}

function TextAreaWidget(p: WidgetProps) {
  const { format } = useRender();
  return (
    <Input.TextArea
      {...aria(p)}
      value={str(p.value)}
      disabled={p.disabled}
      autoSize={{ minRows: 3, maxRows: 12 }}
      placeholder={placeholder(p, format.locale)}
      onChange={(e) => p.onChange(orUndef(e.target.value))}
    />
  );
}

/** roundTo avoids float noise when moving between 25 % and 0.25. */
const roundTo = (n: number, digits: number) => Number(n.toFixed(Math.min(Math.max(digits, 0), 15)));

function currencySymbol(locale: string, currency: string): string {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency, currencyDisplay: 'narrowSymbol' })
      .formatToParts(0).find((x) => x.type === 'currency')?.value ?? currency;
  } catch {
    return currency;
  }
}

function NumberWidget(p: WidgetProps) {
  const { format } = useRender();
  const f = p.field;
  const percent = f.type === 'percent';
  const scale = f.type === 'integer' ? 0 : f.scale;
  const shown = typeof p.value === 'number' ? (percent ? roundTo(p.value * 100, (scale ?? 4) - 2) : p.value) : null;
  return (
    <InputNumber<number>
      {...aria(p)}
      style={{ width: '100%' }}
      value={shown}
      disabled={p.disabled}
      precision={undefined}
      step={f.type === 'integer' ? 1 : undefined}
      inputMode={f.type === 'integer' ? 'numeric' : 'decimal'}
      prefix={f.type === 'currency' ? currencySymbol(format.locale, format.currency) : undefined}
      suffix={percent ? '%' : undefined}
      placeholder={placeholder(p, format.locale)}
      decimalSeparator={undefined}
      formatter={(v, info) => (info.userTyping ? info.input : v === undefined || v === null || String(v) === '' ? '' : groupDigits(String(v)))}
      parser={(s) => (s ? Number(s.replace(/[,\s]/g, '')) : (undefined as unknown as number))}
      onChange={(v) => {
        if (v === null || v === undefined || Number.isNaN(v)) return p.onChange(undefined);
        p.onChange(percent ? roundTo(v / 100, (scale ?? 4) + 2) : v);
      }}
    />
  );
}

function groupDigits(s: string): string {
  const [i, f] = s.split('.');
  const g = i.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return f !== undefined ? `${g}.${f}` : g;
}

function BooleanWidget(p: WidgetProps) {
  const { t } = useTranslation();
  return (
    <Switch
      id={p.id}
      aria-describedby={p['aria-describedby']}
      checked={p.value === true}
      disabled={p.disabled}
      checkedChildren={t('field.yes')}
      unCheckedChildren={t('field.no')}
      onChange={(v) => p.onChange(v)}
    />
  );
}

function DateWidget(p: WidgetProps) {
  const v = typeof p.value === 'string' && p.value ? dayjs(p.value, 'YYYY-MM-DD') : null;
  return (
    <DatePicker
      {...aria(p)}
      style={{ width: '100%' }}
      value={v && v.isValid() ? v : null}
      format="YYYY-MM-DD"
      disabled={p.disabled}
      onChange={(d) => p.onChange(d ? d.format('YYYY-MM-DD') : undefined)}
    />
  );
}

// Date and time in the user's time zone; sent as RFC 3339 with that zone's offset.
function DateTimeWidget(p: WidgetProps) {
  const { format } = useRender();
  const tz = format.timeZone;
  const v = typeof p.value === 'string' && p.value ? dayjs(p.value).tz(tz) : null;
  return (
    <DatePicker
      {...aria(p)}
      style={{ width: '100%' }}
      showTime={{ format: 'HH:mm' }}
      format="YYYY-MM-DD HH:mm"
      value={v && v.isValid() ? v : null}
      disabled={p.disabled}
      onChange={(d) => {
        if (!d) return p.onChange(undefined);
        // The picker's wall-clock time is meant in the user's zone.
        const local = dayjs.tz(d.format('YYYY-MM-DDTHH:mm:ss'), tz);
        p.onChange(local.format('YYYY-MM-DDTHH:mm:ssZ'));
      }}
    />
  );
}

function optionItems(f: Field, locale: string) {
  return f.options.map((o) => {
    const label = pick(o.label, locale) || o.value;
    const c = colorOf(o.color);
    return {
      value: o.value,
      label,
      title: label,
      text: label,
      node: (
        <Space size={6}>
          {c && <span className="t-dot" style={{ background: dotColor(c) }} aria-hidden />}
          <span>{label}</span>
        </Space>
      ),
    };
  });
}

const named: Record<string, string> = {
  red: '#f5222d', volcano: '#fa541c', orange: '#fa8c16', gold: '#faad14', yellow: '#fadb14', lime: '#a0d911', green: '#52c41a',
  cyan: '#13c2c2', blue: '#1677ff', geekblue: '#2f54eb', purple: '#722ed1', magenta: '#eb2f96', gray: '#8c8c8c', grey: '#8c8c8c',
};
const dotColor = (c: string) => named[c] ?? c;

// antd's Select is virtualized, so 10,000 options stay fast; search
// matches the option label.
function SelectWidget(p: WidgetProps) {
  const { format } = useRender();
  const { t } = useTranslation();
  const multiple = p.field.type === 'multiselect';
  const items = useMemo(() => optionItems(p.field, format.locale), [p.field, format.locale]);
  const options = useMemo(() => items.map((o) => ({ value: o.value, label: o.node, text: o.text })), [items]);
  return (
    <Select
      {...aria(p)}
      style={{ width: '100%' }}
      mode={multiple ? 'multiple' : undefined}
      allowClear
      value={multiple ? (Array.isArray(p.value) ? p.value : []) : (p.value as string | undefined) ?? undefined}
      options={options}
      disabled={p.disabled}
      placeholder={t('field.select')}
      showSearch={{ optionFilterProp: 'text' }}
      notFoundContent={t('field.noResults')}
      onChange={(v: string | string[] | undefined) => {
        if (multiple) p.onChange(Array.isArray(v) && v.length ? v : undefined);
        else p.onChange(v ?? undefined);
      }}
    />
  );
}

interface TreeItem { value: string; title: string; children: TreeItem[] }

/** treeItems nests a tree field's options under their parents (orphans become roots). */
function treeItems(options: Option[], locale: string): TreeItem[] {
  const items = new Map(options.map((o) => [o.value, { value: o.value, title: pick(o.label, locale) || o.value, children: [] as TreeItem[] }]));
  const roots: TreeItem[] = [];
  for (const o of options) {
    const parent = o.parent ? items.get(o.parent) : undefined;
    (parent ? parent.children : roots).push(items.get(o.value)!);
  }
  return roots;
}

// A tree select stores one node, inner or leaf; search matches labels.
function TreeWidget(p: WidgetProps) {
  const { format } = useRender();
  const { t } = useTranslation();
  const data = useMemo(() => treeItems(p.field.options, format.locale), [p.field.options, format.locale]);
  return (
    <TreeSelect
      {...aria(p)}
      style={{ width: '100%' }}
      allowClear
      showSearch
      treeNodeFilterProp="title"
      treeDefaultExpandAll={p.field.options.length <= 50}
      value={(p.value as string | undefined) ?? undefined}
      treeData={data}
      disabled={p.disabled}
      placeholder={t('field.select')}
      notFoundContent={t('field.noResults')}
      onChange={(v: string | undefined) => p.onChange(v ?? undefined)}
    />
  );
}

interface CascadeItem { value: string; label: string; children?: CascadeItem[] }
const cascade = (ns: RegionNode[]): CascadeItem[] =>
  ns.map((n) => ({ value: n.code, label: n.name, children: n.children?.length ? cascade(n.children) : undefined }));

// A region is picked province › city (› district); any level may be the
// answer (changeOnSelect), the code of the last one picked is stored.
function RegionWidget(p: WidgetProps) {
  const svc = useRender();
  const { t } = useTranslation();
  const level = p.field.level || 'city';
  const tree = useQuery({ queryKey: ['regions', level], queryFn: () => svc.regions?.(level) ?? Promise.resolve([]), staleTime: Infinity });
  const options = useMemo(() => cascade(tree.data ?? []), [tree.data]);
  const code = typeof p.value === 'string' ? p.value : '';
  const path = regionPath(tree.data, code).map((n) => n.code);
  return (
    <Cascader
      {...aria(p)}
      style={{ width: '100%' }}
      options={options}
      changeOnSelect
      allowClear
      showSearch
      loading={tree.isLoading}
      value={path.length ? path : code ? [code] : undefined}
      disabled={p.disabled}
      placeholder={t('field.select')}
      notFoundContent={t('field.noResults')}
      onChange={(v) => {
        const codes = (v ?? []) as string[];
        p.onChange(codes.length ? codes[codes.length - 1] : undefined);
      }}
    />
  );
}

function useDebounced<T>(v: T, ms: number): T {
  const [d, setD] = useState(v);
  useEffect(() => {
    const h = setTimeout(() => setD(v), ms);
    return () => clearTimeout(h);
  }, [v, ms]);
  return d;
}

// Search as you type over the target module's title field, with "new …"
// to create the target inline.
function LookupWidget(p: WidgetProps) {
  const svc = useRender();
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const dq = useDebounced(q, 250);
  const [creating, setCreating] = useState(false);
  const target = p.field.module!;
  const mod = useQuery({ queryKey: ['module', svc.app, target], queryFn: () => svc.loadModule(target), staleTime: 60_000 });
  const found = useQuery({ queryKey: ['search', svc.app, target, dq], queryFn: () => svc.searchRecords(target, dq), staleTime: 10_000 });
  const id = typeof p.value === 'string' ? p.value : undefined;
  const current = useQuery({
    queryKey: ['title', svc.app, target, id],
    queryFn: async () => (await svc.recordTitles(target, [id!]))[0]?.title ?? id!,
    enabled: !!id,
    staleTime: 60_000,
  });
  const [created, setCreated] = useState<RecordRef>();
  const options = useMemo(() => {
    const list = [...(found.data ?? [])];
    if (id && !list.some((r) => r.id === id)) list.unshift({ id, title: created?.id === id ? created.title : current.data ?? '…' });
    return list.map((r) => ({ value: r.id, label: r.title || t('record.untitled') }));
  }, [found.data, id, current.data, created, t]);
  const targetLabel = mod.data ? pick(mod.data.label, svc.format.locale) || target : target;
  return (
    <>
      <Select
        {...aria(p)}
        style={{ width: '100%' }}
        allowClear
        value={id}
        disabled={p.disabled}
        placeholder={t('field.searchRecords')}
        options={options}
        loading={found.isFetching}
        showSearch={{ filterOption: false, onSearch: setQ }}
        notFoundContent={found.isFetching ? t('app.loading') : t('field.noResults')}
        onChange={(v?: string) => p.onChange(v ?? undefined)}
        popupRender={(menu) => (
          <>
            {menu}
            <Divider style={{ margin: '4px 0' }} />
            <Button type="text" block icon={<PlusOutlined />} onClick={() => setCreating(true)} style={{ textAlign: 'start' }}>
              {t('field.createNew', { module: targetLabel })}
            </Button>
          </>
        )}
      />
      {creating && mod.data && (
        <InlineCreate
          module={mod.data}
          initial={q}
          onClose={() => setCreating(false)}
          onCreated={(r) => {
            setCreated(r);
            setCreating(false);
            p.onChange(r.id);
          }}
        />
      )}
    </>
  );
}

// InlineCreate asks for the target's title (and required text fields);
// the server's answer shows at its fields.
function InlineCreate(props: {
  module: { key: string; label: Record<string, string>; schema: Record<string, unknown> };
  initial: string;
  onClose: () => void;
  onCreated: (r: RecordRef) => void;
}) {
  const svc = useRender();
  const { t } = useTranslation();
  const fields = useMemo(() => parseFields(props.module.schema), [props.module.schema]);
  const title = titleField(props.module.schema, fields);
  const asked = fields.filter((f) => !f.readOnly && (f === title || f.required) && ['text', 'textarea', 'email', 'phone', 'url'].includes(f.type));
  const [values, setValues] = useState<Record<string, unknown>>(title && props.initial ? { [title.key]: props.initial } : {});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [detail, setDetail] = useState<string>();
  const first = useRef<HTMLDivElement>(null);
  const name = pick(props.module.label, svc.format.locale) || props.module.key;
  async function save() {
    setBusy(true);
    setDetail(undefined);
    try {
      props.onCreated(await svc.createRecord(props.module.key, values));
    } catch (e) {
      const fe = (e as { fieldErrors?: { field: string; message: string }[] }).fieldErrors ?? [];
      setErrors(Object.fromEntries(fe.map((x) => [x.field, x.message])));
      setDetail(fe.length ? undefined : (e as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal open title={t('field.createNew', { module: name }).replace('…', '')} onCancel={props.onClose} onOk={save}
      okText={t('common.save')} cancelText={t('common.cancel')} confirmLoading={busy} destroyOnHidden>
      <div ref={first}>
        {asked.map((f) => (
          <div key={f.key} style={{ marginBottom: 12 }}>
            <label htmlFor={`inline-${f.key}`}>{fieldLabel(f, svc.format.locale)}</label>
            <TextWidget field={f} id={`inline-${f.key}`} value={values[f.key]} aria-invalid={!!errors[f.key]}
              onChange={(v) => setValues((s) => ({ ...s, [f.key]: v }))} />
            {errors[f.key] && <Typography.Text type="danger">{errors[f.key]}</Typography.Text>}
          </div>
        ))}
        {detail && <Typography.Text type="danger">{detail}</Typography.Text>}
      </div>
    </Modal>
  );
}

function UserWidget(p: WidgetProps) {
  const svc = useRender();
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const dq = useDebounced(q, 250);
  const found = useQuery({ queryKey: ['people', dq], queryFn: () => svc.searchPeople(dq), staleTime: 30_000 });
  const id = typeof p.value === 'string' ? p.value : undefined;
  const current = useQuery({
    queryKey: ['person', id],
    queryFn: async () => (await svc.people([id!]))[0]?.name ?? id!,
    enabled: !!id,
    staleTime: 300_000,
  });
  const options = useMemo(() => {
    const list = (found.data ?? []).map((u) => ({ value: u.id, label: u.name || u.id }));
    if (id && !list.some((o) => o.value === id)) list.unshift({ value: id, label: current.data ?? '…' });
    return list;
  }, [found.data, id, current.data]);
  return (
    <Select
      {...aria(p)}
      style={{ width: '100%' }}
      allowClear
      value={id}
      disabled={p.disabled}
      placeholder={t('field.pickUser')}
      options={options}
      showSearch={{ filterOption: false, onSearch: setQ }}
      notFoundContent={t('field.noResults')}
      onChange={(v?: string) => p.onChange(v ?? undefined)}
    />
  );
}

// Computed fields are shown, never edited.
function ReadOnlyWidget(p: WidgetProps) {
  return (
    <div className="t-readonly" id={p.id} role="textbox" aria-readonly="true" aria-label={fieldLabel(p.field, useRender().format.locale)} aria-describedby={p['aria-describedby']} tabIndex={0}>
      <FieldValue field={p.field} value={p.value} />
    </div>
  );
}

function JsonWidget(p: WidgetProps) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => (p.value === undefined ? '' : JSON.stringify(p.value, null, 2)));
  const last = useRef(p.value);
  useEffect(() => {
    if (p.value !== last.current) {
      last.current = p.value;
      setText(p.value === undefined ? '' : JSON.stringify(p.value, null, 2));
    }
  }, [p.value]);
  return (
    <Input.TextArea
      {...aria(p)}
      className="t-mono"
      value={text}
      disabled={p.disabled}
      autoSize={{ minRows: 3, maxRows: 16 }}
      onChange={(e) => {
        const s = e.target.value;
        setText(s);
        if (s.trim() === '') {
          last.current = undefined;
          p.onLocalError?.(undefined);
          return p.onChange(undefined);
        }
        try {
          const v = JSON.parse(s);
          last.current = v;
          p.onLocalError?.(undefined);
          p.onChange(v);
        } catch (err) {
          p.onLocalError?.(t('field.invalidJson', { detail: (err as Error).message }));
        }
      }}
    />
  );
}

export const widgets: Record<FieldType, Widget> = {
  text: (p) => <TextWidget {...p} />,
  textarea: (p) => <TextAreaWidget {...p} />,
  email: (p) => <TextWidget {...p} inputType="email" inputMode="email" />,
  phone: (p) => <TextWidget {...p} inputType="tel" inputMode="tel" />,
  url: (p) => <TextWidget {...p} inputType="url" inputMode="url" />,
  number: (p) => <NumberWidget {...p} />,
  integer: (p) => <NumberWidget {...p} />,
  decimal: (p) => <NumberWidget {...p} />,
  currency: (p) => <NumberWidget {...p} />,
  percent: (p) => <NumberWidget {...p} />,
  boolean: (p) => <BooleanWidget {...p} />,
  date: (p) => <DateWidget {...p} />,
  datetime: (p) => <DateTimeWidget {...p} />,
  select: (p) => <SelectWidget {...p} />,
  multiselect: (p) => <SelectWidget {...p} />,
  lookup: (p) => <LookupWidget {...p} />,
  user: (p) => <UserWidget {...p} />,
  autonumber: (p) => <ReadOnlyWidget {...p} />,
  formula: (p) => <ReadOnlyWidget {...p} />,
  rollup: (p) => <ReadOnlyWidget {...p} />,
  json: (p) => <JsonWidget {...p} />,
  tree: (p) => <TreeWidget {...p} />,
  region: (p) => <RegionWidget {...p} />,
};

export function FieldWidget(p: WidgetProps) {
  const W = widgets[p.field.type] ?? widgets.text;
  return <>{W(p.field.readOnly ? { ...p, disabled: true } : p)}</>;
}
