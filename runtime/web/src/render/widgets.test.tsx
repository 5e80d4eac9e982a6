// Every field type renders a labelled input (or a read-only value) and
// reports the JSON value the record API takes; values display by type and
// user text stays text.
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useState, type ReactNode } from 'react';
import { setLocale } from '../i18n';
import { RenderContext, sampleServices, type RenderServices } from './context';
import { FieldValue } from './Value';
import { FieldWidget } from './widgets';
import { fieldTypes, parseFields, type Field, type FieldType } from './schema';
import { RecordForm } from './RecordForm';

const companyId = '0190d1a2-0000-7000-8000-000000000001';
const userId = '0190d1a2-0000-7000-8000-000000000002';
const svc: RenderServices = {
  ...sampleServices,
  format: { locale: 'zh-CN', timeZone: 'Asia/Shanghai', currency: 'CNY' },
  loadModule: async (key) => ({ app: 't', key, label: { 'zh-CN': '公司', en: 'Company' }, version: 1,
    schema: { properties: { name: { 'x-field': { type: 'text' } } }, required: ['name'] } }),
  searchRecords: async () => [{ id: companyId, title: '华东机械' }],
  recordTitles: async () => [{ id: companyId, title: '华东机械' }],
  searchPeople: async () => [{ id: userId, name: '李销售' }],
  people: async () => [{ id: userId, name: '李销售' }],
  regions: async () => [
    { code: '310000', name: '上海市', children: [{ code: '310100', name: '市辖区' }] },
    { code: '440000', name: '广东省', children: [{ code: '440100', name: '广州市' }, { code: '440300', name: '深圳市' }] },
  ],
};

beforeAll(() => setLocale('zh-CN'));

function wrap(children: ReactNode, s: RenderServices = svc) {
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return (
    <QueryClientProvider client={qc}>
      <RenderContext.Provider value={s}>{children}</RenderContext.Provider>
    </QueryClientProvider>
  );
}

function field(type: FieldType, extra: Partial<Field> = {}): Field {
  const x: Record<string, unknown> = { type, label: { en: type, 'zh-CN': type } };
  if (type === 'select' || type === 'multiselect') x.options = [{ value: 'a', label: { 'zh-CN': '甲', en: 'A' }, color: 'red' }, { value: 'b' }];
  if (type === 'tree') x.options = [{ value: 'mfg', label: { 'zh-CN': '制造业', en: 'Manufacturing' } }, { value: 'mfg_auto', parent: 'mfg', label: { 'zh-CN': '汽车零部件', en: 'Auto parts' } }];
  if (type === 'lookup') x.module = 'company';
  if (type === 'formula') x.result = 'decimal';
  const f = parseFields({ properties: { f: { 'x-field': x } } })[0];
  return { ...f, ...extra };
}

// Controlled holds the value like a form does.
function Controlled({ f, initial, onChange, onLocalError }: { f: Field; initial: unknown; onChange: (v: unknown) => void; onLocalError: (m?: string) => void }) {
  const [v, setV] = useState(initial);
  return <FieldWidget field={f} id="w" value={v} onChange={(n) => { setV(n); onChange(n); }} onLocalError={onLocalError} />;
}

function mount(type: FieldType, value?: unknown) {
  const onChange = vi.fn();
  const onLocalError = vi.fn();
  render(wrap(<><label htmlFor="w">{type}</label><Controlled f={field(type)} initial={value} onChange={onChange} onLocalError={onLocalError} /></>));
  return { onChange, onLocalError };
}

describe('every field type renders', () => {
  for (const type of fieldTypes) {
    it(type, () => {
      mount(type);
      const el = document.getElementById('w');
      expect(el, `${type} has an element with the label's id`).not.toBeNull();
      if (['autonumber', 'formula', 'rollup'].includes(type)) expect(el!.getAttribute('aria-readonly')).toBe('true');
      else expect(screen.getByLabelText(type)).toBeTruthy();
    });
  }
});

describe('widgets report their value', () => {
  it('text, email, phone, url', () => {
    for (const type of ['text', 'email', 'phone', 'url'] as FieldType[]) {
      const { onChange } = mount(type);
      fireEvent.change(document.getElementById('w')!, { target: { value: 'abc' } });
      expect(onChange).toHaveBeenLastCalledWith('abc');
      fireEvent.change(document.getElementById('w')!, { target: { value: '' } });
      expect(onChange).toHaveBeenLastCalledWith(undefined);
      document.body.innerHTML = '';
    }
  });
  it('textarea', () => {
    const { onChange } = mount('textarea');
    fireEvent.change(document.getElementById('w')!, { target: { value: '第一行\n第二行' } });
    expect(onChange).toHaveBeenLastCalledWith('第一行\n第二行');
  });
  it.each([
    ['number', '12.5', 12.5],
    ['integer', '3', 3],
    ['decimal', '1234.56', 1234.56],
    ['currency', '1,234.5', 1234.5],
    ['percent', '25', 0.25],
    ['percent', '7', 0.07],
  ] as [FieldType, string, number][])('%s "%s" → %s', (type, typed, want) => {
    const { onChange } = mount(type);
    fireEvent.change(document.getElementById('w')!, { target: { value: typed } });
    expect(onChange).toHaveBeenLastCalledWith(want);
  });
  it('percent shows the fraction as a percentage', () => {
    mount('percent', 0.125);
    expect((document.getElementById('w') as HTMLInputElement).value).toBe('12.5');
  });
  it('boolean', () => {
    const { onChange } = mount('boolean', false);
    fireEvent.click(document.getElementById('w')!);
    expect(onChange).toHaveBeenLastCalledWith(true);
  });
  it('date shows YYYY-MM-DD', () => {
    mount('date', '2026-01-31');
    expect((document.getElementById('w') as HTMLInputElement).value).toBe('2026-01-31');
  });
  it('datetime shows the instant in the user time zone', () => {
    mount('datetime', '2026-01-31T01:30:00Z');
    expect((document.getElementById('w') as HTMLInputElement).value).toBe('2026-01-31 09:30');
  });
  it('select with coloured, searchable options', async () => {
    const { onChange } = mount('select');
    fireEvent.mouseDown(document.getElementById('w')!);
    fireEvent.change(document.getElementById('w')!, { target: { value: '甲' } });
    const opt = await screen.findByText('甲', { selector: '.ant-select-item-option-content span' });
    fireEvent.click(opt);
    expect(onChange).toHaveBeenLastCalledWith('a');
  });
  it('select stays usable with 10,000 options (virtual list)', async () => {
    const options = Array.from({ length: 10000 }, (_, i) => ({ value: `v${i}`, label: { en: `Option ${i}` } }));
    const f = parseFields({ properties: { f: { 'x-field': { type: 'select', options } } } })[0];
    const onChange = vi.fn();
    render(wrap(<FieldWidget field={f} id="w" value={undefined} onChange={onChange} />));
    fireEvent.mouseDown(document.getElementById('w')!);
    fireEvent.change(document.getElementById('w')!, { target: { value: 'Option 9999' } });
    fireEvent.click(await screen.findByText('Option 9999'));
    expect(onChange).toHaveBeenLastCalledWith('v9999');
    expect(document.querySelectorAll('.ant-select-item-option').length).toBeLessThan(50);
  });
  it('multiselect', async () => {
    const { onChange } = mount('multiselect', ['b']);
    fireEvent.mouseDown(document.getElementById('w')!);
    fireEvent.click(await screen.findByText('甲', { selector: '.ant-select-item-option-content span' }));
    expect(onChange).toHaveBeenLastCalledWith(['b', 'a']);
  });
  it('lookup searches as you type', async () => {
    const search = vi.fn(svc.searchRecords);
    const onChange = vi.fn();
    render(wrap(<FieldWidget field={field('lookup')} id="w" value={undefined} onChange={onChange} />, { ...svc, searchRecords: search }));
    fireEvent.mouseDown(document.getElementById('w')!);
    fireEvent.change(document.getElementById('w')!, { target: { value: '华东' } });
    await waitFor(() => expect(search).toHaveBeenCalledWith('company', '华东'));
    fireEvent.click(await screen.findByText('华东机械'));
    expect(onChange).toHaveBeenLastCalledWith(companyId);
    expect(await screen.findByText(/新建公司/)).toBeTruthy(); // inline create offered
  });
  it('user picker', async () => {
    const onChange = vi.fn();
    render(wrap(<FieldWidget field={field('user')} id="w" value={undefined} onChange={onChange} />));
    fireEvent.mouseDown(document.getElementById('w')!);
    fireEvent.click(await screen.findByText('李销售'));
    expect(onChange).toHaveBeenLastCalledWith(userId);
  });
  it('tree picks a node under its parent', async () => {
    const { onChange } = mount('tree');
    fireEvent.mouseDown(document.getElementById('w')!);
    fireEvent.click(await screen.findByText('汽车零部件'));
    expect(onChange).toHaveBeenLastCalledWith('mfg_auto');
  });
  it('region cascades province › city and stores the code picked last', async () => {
    const { onChange } = mount('region', '440300');
    // The stored code shows as its path once the list has loaded.
    await waitFor(() => expect(document.body.textContent).toContain('广东省 / 深圳市'));
    fireEvent.mouseDown(document.getElementById('w')!);
    fireEvent.click(await screen.findByText('上海市'));
    expect(onChange).toHaveBeenLastCalledWith('310000');
    fireEvent.click(await screen.findByText('市辖区'));
    expect(onChange).toHaveBeenLastCalledWith('310100');
  });
  it('json parses, and says when it cannot', () => {
    const { onChange, onLocalError } = mount('json');
    fireEvent.change(document.getElementById('w')!, { target: { value: '{"a": [1, 2]}' } });
    expect(onChange).toHaveBeenLastCalledWith({ a: [1, 2] });
    fireEvent.change(document.getElementById('w')!, { target: { value: '{"a": ' } });
    expect(onLocalError).toHaveBeenLastCalledWith(expect.stringContaining('不是有效的 JSON'));
  });
});

describe('values display by type, user text as text', () => {
  const show = (f: Field, v: unknown, s: RenderServices = svc) => {
    const { container } = render(wrap(<FieldValue field={f} value={v} />, s));
    return container;
  };
  it('tree and region by their paths', async () => {
    expect(show(field('tree'), 'mfg_auto').textContent).toBe('制造业 › 汽车零部件');
    const c = show(field('region'), '440300');
    await waitFor(() => expect(c.textContent).toBe('广东省 › 深圳市'));
    expect(show(field('region'), '999999').textContent).toBe('999999');
  });
  it('currency, percent and numbers by locale', () => {
    expect(show(field('currency'), 1234.5).textContent).toBe('¥1,234.50');
    expect(show(field('percent'), 0.25).textContent).toBe('25%');
    expect(show(field('integer'), 1234567).textContent).toBe('1,234,567');
    expect(show(field('currency'), 99, { ...svc, format: { ...svc.format, locale: 'en' } }).textContent).toBe('CN¥99.00');
  });
  it('datetime in the user time zone', () => {
    expect(show(field('datetime'), '2026-01-31T01:30:00Z').textContent).toBe('2026-01-31 09:30');
  });
  it('select options as coloured tags with their label', () => {
    const c = show(field('select'), 'a');
    expect(c.textContent).toBe('甲');
    expect(c.querySelector('.ant-tag-red')).not.toBeNull();
  });
  it('links only for http(s), mailto and tel', () => {
    expect(show(field('url'), 'https://example.com/a').querySelector('a')?.getAttribute('href')).toBe('https://example.com/a');
    const js = show(field('url'), 'javascript:alert(1)');
    expect(js.querySelector('a')).toBeNull();
    expect(js.textContent).toBe('javascript:alert(1)');
    expect(show(field('email'), 'a@example.com').querySelector('a')?.getAttribute('href')).toBe('mailto:a@example.com');
    expect(show(field('phone'), '+86 138 1234 5678').querySelector('a')?.getAttribute('href')).toBe('tel:+8613812345678');
  });
  it('a value or label holding markup is shown as text', () => {
    const c = show(field('text'), '<img src=x onerror=alert(1)><script>alert(2)</script>');
    expect(c.querySelector('img, script')).toBeNull();
    expect(c.textContent).toBe('<img src=x onerror=alert(1)><script>alert(2)</script>');
    const schema = { properties: { x: { 'x-field': { type: 'text', label: { 'zh-CN': '<b onclick="x()">标签</b>' } } } } };
    const { container } = render(wrap(<RecordForm module={{ app: 't', key: 'm', label: {}, version: 1, schema }} values={{}} onChange={() => {}} />));
    expect(container.querySelector('b')).toBeNull();
    expect(container.textContent).toContain('<b onclick="x()">标签</b>');
  });
});

describe('the form', () => {
  it('shows field errors under their fields and disables read-only fields', async () => {
    const schema = {
      properties: {
        name: { 'x-field': { type: 'text', label: { 'zh-CN': '姓名' } } },
        locked: { readOnly: true, 'x-field': { type: 'text', label: { 'zh-CN': '锁定' } } },
        code: { 'x-field': { type: 'autonumber', label: { 'zh-CN': '编号' } } },
      },
      required: ['name'],
    };
    await act(async () => {
      render(wrap(<RecordForm module={{ app: 't', key: 'm', label: {}, version: 1, schema }} values={{ code: 'C-0001' }} errors={{ name: '姓名为必填项。' }} onChange={() => {}} />));
    });
    expect(screen.getByRole('alert').textContent).toBe('姓名为必填项。');
    expect(screen.getByLabelText('姓名').getAttribute('aria-invalid')).toBe('true');
    expect((screen.getByLabelText('锁定') as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByText('C-0001')).toBeTruthy();
    expect(document.activeElement?.id).toBe('f-m-name'); // the first field in error has the focus
  });
});
