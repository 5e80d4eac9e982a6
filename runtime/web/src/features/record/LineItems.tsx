// Line items: the records of a child module whose lookup points at this
// record (master-detail), as a grid — add, edit and remove rows in place,
// with totals of the numeric columns. Each row saves through the record API
// (validated like any form first), so a line is never half-written.
import { App, Button, Card, Popconfirm, Space, Table, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, PlusOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { records, type RecordData } from '../../api/records';
import { useRender } from '../../render/context';
import { formatNumber } from '../../render/format';
import { FieldValue } from '../../render/Value';
import { FieldWidget } from '../../render/widgets';
import { editable, useValidator, formInput } from '../../render/RecordForm';
import { fieldLabel, isNumeric, parseFields, pick } from '../../render/schema';
import { ApiError } from '../../api/http';
import { quote } from '../data';
import { errorText } from '../shell/States';
import type { ChildModule } from './relations';

export type { ChildModule } from './relations';

type Row = { id: string; version?: number; values: Record<string, unknown>; isNew?: boolean };

export function LineItems({ child, parentId }: { child: ChildModule; parentId: string }) {
  const { t } = useTranslation();
  const svc = useRender();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const locale = svc.format.locale;
  const { def, via } = child;
  const fields = useMemo(() => parseFields(def.schema), [def.schema]);
  const cols = fields.filter((f) => f.key !== via && f.type !== 'json' && f.type !== 'textarea').slice(0, 8);
  const validate = useValidator(def, fields);
  const key = ['records', def.app, def.key, 'lines', parentId];
  const list = useQuery({
    queryKey: key,
    queryFn: () => records.list(def.app, def.key, { filter: `${via} == ${quote(parentId)}`, sort: 'created_at', limit: 500 }),
  });
  const [editing, setEditing] = useState<Row>();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);

  const rows: Row[] = (list.data?.records ?? []).map((r: RecordData) => ({ id: r.id, version: r.version, values: r }));
  if (editing?.isNew) rows.push(editing);

  async function save() {
    if (!editing) return;
    const values = { ...editing.values, [via]: parentId };
    const found = await validate(values);
    if (found.length) {
      setErrors(Object.fromEntries(found.map((e) => [e.field, e.message[locale] ?? e.message.en])));
      return;
    }
    setSaving(true);
    try {
      const input = formInput(fields, values);
      if (editing.isNew) await records.create(def.app, def.key, input);
      else await records.update(def.app, def.key, editing.id, editing.version!, input);
      setEditing(undefined);
      setErrors({});
      await qc.invalidateQueries({ queryKey: key });
      // The parent's rollups changed with its lines.
      qc.invalidateQueries({ queryKey: ['record', def.app] });
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) setErrors(Object.fromEntries(e.fieldErrors.map((f) => [f.field, f.message])));
      else message.error(errorText(e, t));
    } finally {
      setSaving(false);
    }
  }

  async function remove(id: string) {
    try {
      await records.remove(def.app, def.key, id);
      await qc.invalidateQueries({ queryKey: key });
      qc.invalidateQueries({ queryKey: ['record', def.app] });
    } catch (e) {
      message.error(errorText(e, t));
    }
  }

  // Totals of what adds up: quantities and computed amounts (a unit price
  // summed means nothing); plain amounts only when nothing is computed.
  const computedNum = cols.filter((f) => isNumeric(f) && (f.type === 'formula' || f.type === 'rollup'));
  const numeric = cols.filter((f) => f.type === 'integer' || computedNum.includes(f) || (!computedNum.length && f.type === 'currency'));
  const totals = Object.fromEntries(numeric.map((f) => [f.key, rows.reduce((s, r) => s + (typeof r.values[f.key] === 'number' ? (r.values[f.key] as number) : 0), 0)]));
  const label = pick(def.label, locale) || def.key;
  const edit = editable(fields);

  return (
    <Card size="small" title={<h3 style={{ fontSize: 15, margin: 0 }}>{label}</h3>} style={{ marginTop: 16 }}
      extra={<Button size="small" icon={<PlusOutlined />} disabled={!!editing}
        onClick={() => { setErrors({}); setEditing({ id: 'new', isNew: true, values: {} }); }}>{t('record.addLine')}</Button>}>
      <Table<Row>
        size="small"
        rowKey="id"
        loading={list.isLoading}
        dataSource={rows}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Typography.Text type="secondary">{t('record.noLines')}</Typography.Text> }}
        columns={[
          ...cols.map((f) => ({
            key: f.key,
            title: fieldLabel(f, locale),
            align: isNumeric(f) ? ('right' as const) : undefined,
            render: (_: unknown, r: Row) => {
              if (editing && editing.id === r.id && edit.includes(f) && !f.readOnly) {
                const id = `line-${def.key}-${r.id}-${f.key}`;
                return (
                  <div style={{ minWidth: 140 }}>
                    <label htmlFor={id} className="t-skip">{fieldLabel(f, locale)}</label>
                    <FieldWidget field={f} id={id} value={editing.values[f.key]} aria-invalid={!!errors[f.key]}
                      aria-describedby={errors[f.key] ? `${id}-error` : undefined}
                      onChange={(v) => setEditing({ ...editing, values: { ...editing.values, [f.key]: v } })} />
                    {errors[f.key] && <Typography.Text type="danger" id={`${id}-error`} role="alert">{errors[f.key]}</Typography.Text>}
                  </div>
                );
              }
              return <FieldValue field={f} value={r.values[f.key]} />;
            },
          })),
          {
            key: 'actions',
            title: t('common.actions'),
            fixed: 'right' as const,
            render: (_: unknown, r: Row) =>
              editing && editing.id === r.id ? (
                <Space>
                  <Button size="small" type="primary" loading={saving} onClick={save}>{t('common.save')}</Button>
                  <Button size="small" onClick={() => { setEditing(undefined); setErrors({}); }}>{t('common.cancel')}</Button>
                </Space>
              ) : (
                <Space>
                  <Button size="small" icon={<EditOutlined />} aria-label={t('common.edit')} disabled={!!editing}
                    onClick={() => { setErrors({}); setEditing({ ...r, values: { ...r.values } }); }} />
                  <Popconfirm title={t('record.deleteConfirm')} onConfirm={() => remove(r.id)} okText={t('common.delete')} cancelText={t('common.cancel')}>
                    <Button size="small" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} disabled={!!editing} />
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
        summary={() =>
          numeric.length > 0 && rows.length > 0 ? (
            <Table.Summary.Row>
              {cols.map((f, i) => (
                <Table.Summary.Cell key={f.key} index={i} align={isNumeric(f) ? 'right' : undefined}>
                  {i === 0 && !isNumeric(f) ? <strong>{t('common.total')}</strong> : f.key in totals ? <strong className="t-num">{formatNumber(svc.format, totals[f.key], f)}</strong> : null}
                </Table.Summary.Cell>
              ))}
              <Table.Summary.Cell index={cols.length} />
            </Table.Summary.Row>
          ) : null
        }
      />
    </Card>
  );
}
