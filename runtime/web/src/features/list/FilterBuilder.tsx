// The filter builder: field → operator → value (the value input is the
// field's own widget), joined by all/any; and an "advanced" box for a raw
// expression, checked by the server before it is applied, with the
// server's error shown at its position.
import { Alert, Button, Drawer, Input, Segmented, Select, Space, Tabs, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/http';
import { records } from '../../api/records';
import { FieldWidget } from '../../render/widgets';
import { fieldLabel, type Field } from '../../render/schema';
import { errorPosition, needsValue, opsFor, toExpr, type Condition, type FilterState, type Op } from './filter';

export interface FilterBuilderProps {
  open: boolean;
  onClose: () => void;
  app: string;
  module: string;
  fields: Field[];
  locale: string;
  state: FilterState;
  advanced: string;
  onApply: (s: FilterState, advanced: string) => void;
}

export function FilterBuilder(p: FilterBuilderProps) {
  const { t } = useTranslation();
  const [state, setState] = useState<FilterState>(p.state);
  const [adv, setAdv] = useState(p.advanced);
  const [tab, setTab] = useState(p.advanced ? 'advanced' : 'builder');
  const [advError, setAdvError] = useState<string>();
  const [checking, setChecking] = useState(false);
  useEffect(() => {
    if (p.open) {
      setState(p.state);
      setAdv(p.advanced);
      setAdvError(undefined);
    }
  }, [p.open, p.state, p.advanced]);

  const filterable = p.fields.filter((f) => f.type !== 'json');
  const set = (i: number, c: Partial<Condition>) =>
    setState((s) => ({ ...s, conditions: s.conditions.map((x, j) => (j === i ? { ...x, ...c } : x)) }));

  async function apply() {
    const raw = adv.trim();
    if (raw) {
      setChecking(true);
      try {
        await records.list(p.app, p.module, { filter: raw, limit: 1 });
      } catch (e) {
        setChecking(false);
        if (e instanceof ApiError && e.status === 400) {
          setTab('advanced');
          setAdvError(e.problem.detail ?? e.message);
          return;
        }
        throw e;
      }
      setChecking(false);
    }
    p.onApply(state, raw);
  }

  const pos = advError ? errorPosition(advError) : undefined;
  return (
    <Drawer
      open={p.open}
      onClose={p.onClose}
      title={t('filterBuilder.title')}
      size={560}
      destroyOnHidden
      footer={
        <Space style={{ justifyContent: 'flex-end', width: '100%' }}>
          <Button onClick={() => { setState({ match: 'all', conditions: [] }); setAdv(''); setAdvError(undefined); }}>{t('common.clear')}</Button>
          <Button type="primary" onClick={apply} loading={checking}>{t('common.apply')}</Button>
        </Space>
      }
    >
      <Tabs
        activeKey={tab}
        onChange={setTab}
        items={[
          {
            key: 'builder',
            label: t('filterBuilder.title'),
            children: (
              <Space orientation="vertical" style={{ width: '100%' }} size={12}>
                <Space wrap>
                  <span>{t('filterBuilder.match')}</span>
                  <Segmented
                    value={state.match}
                    onChange={(v) => setState((s) => ({ ...s, match: v as 'all' | 'any' }))}
                    options={[{ value: 'all', label: t('filterBuilder.all') }, { value: 'any', label: t('filterBuilder.any') }]}
                  />
                </Space>
                {state.conditions.map((c, i) => {
                  const f = filterable.find((x) => x.key === c.field);
                  const ops = f ? opsFor(f) : [];
                  const valueField: Field | undefined = f && (c.op === 'in' ? { ...f, type: 'multiselect' } : c.op === 'has' ? f : f.readOnly ? { ...f, readOnly: false, type: f.type === 'autonumber' || (f.type === 'formula' && f.result === 'text') ? 'text' : f.type === 'rollup' || f.type === 'formula' ? 'number' : f.type } : f);
                  return (
                    <div key={i} role="group" aria-label={`${t('filterBuilder.title')} ${i + 1}`} style={{ display: 'grid', gridTemplateColumns: '1fr 1fr auto', gap: 8 }}>
                      <Select
                        aria-label={t('filterBuilder.field')}
                        value={c.field || undefined}
                        placeholder={t('filterBuilder.field')}
                        showSearch={{ optionFilterProp: 'label' }}
                        options={filterable.map((x) => ({ value: x.key, label: fieldLabel(x, p.locale) }))}
                        onChange={(k: string) => {
                          const nf = filterable.find((x) => x.key === k)!;
                          set(i, { field: k, op: opsFor(nf)[0], value: undefined });
                        }}
                      />
                      <Select<Op>
                        aria-label={t('filterBuilder.operator')}
                        value={c.op}
                        disabled={!f}
                        options={ops.map((o) => ({ value: o, label: t(`filterBuilder.ops.${o}`) }))}
                        onChange={(op) => set(i, { op, value: op === 'in' || op === 'has' ? undefined : c.value })}
                      />
                      <Button aria-label={t('common.remove')} icon={<DeleteOutlined />} onClick={() => setState((s) => ({ ...s, conditions: s.conditions.filter((_, j) => j !== i) }))} />
                      {f && valueField && needsValue(c.op) && (
                        <div style={{ gridColumn: '1 / span 2' }}>
                          <FieldWidget field={valueField} id={`filter-${i}-value`} value={c.value} onChange={(v) => set(i, { value: v })} aria-describedby={undefined} />
                        </div>
                      )}
                    </div>
                  );
                })}
                <Button icon={<PlusOutlined />} onClick={() => setState((s) => ({ ...s, conditions: [...s.conditions, { field: '', op: 'eq' }] }))}>
                  {t('filterBuilder.addCondition')}
                </Button>
                {toExpr(state, p.fields) && (
                  <Typography.Text type="secondary" className="t-mono t-wrap">{toExpr(state, p.fields)}</Typography.Text>
                )}
              </Space>
            ),
          },
          {
            key: 'advanced',
            label: t('filterBuilder.advanced'),
            children: (
              <Space orientation="vertical" style={{ width: '100%' }}>
                <label htmlFor="filter-advanced">{t('filterBuilder.advancedHint')}</label>
                <Input.TextArea
                  id="filter-advanced"
                  className="t-mono"
                  value={adv}
                  status={advError ? 'error' : undefined}
                  aria-invalid={!!advError}
                  aria-describedby={advError ? 'filter-advanced-error' : undefined}
                  autoSize={{ minRows: 3, maxRows: 10 }}
                  spellCheck={false}
                  onChange={(e) => { setAdv(e.target.value); setAdvError(undefined); }}
                />
                {advError && (
                  <Alert
                    id="filter-advanced-error"
                    type="error"
                    role="alert"
                    title={advError}
                    description={pos !== undefined && (
                      <pre className="t-mono" style={{ margin: 0, whiteSpace: 'pre-wrap' }} aria-hidden>
                        {adv.split('\n').join(' ')}{'\n'}{' '.repeat(Math.max(0, pos - 1))}^
                      </pre>
                    )}
                  />
                )}
              </Space>
            ),
          },
        ]}
      />
    </Drawer>
  );
}
