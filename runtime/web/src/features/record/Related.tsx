// The 相关 tab: for each module that looks this record up (GET …/related),
// its count and newest records, a "new" button that opens the new-record
// page with the lookup filled in, and more on request.
import { Button, Card, Empty, List, Skeleton, Space, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import type { RecordData } from '../../api/records';
import { related, type Relation } from '../../api/work';
import { useRender } from '../../render/context';
import { formatDateTime } from '../../render/format';
import { FieldValue } from '../../render/Value';
import { fieldLabel, parseFields, pick, titleField, type ModuleDef } from '../../render/schema';
import { titleOf } from '../data';
import { ErrorState } from '../shell/States';

export function useRelated(def: ModuleDef, id: string) {
  return useQuery({ queryKey: ['related', def.app, def.key, id], queryFn: () => related.all(def.app, def.key, id, 5) });
}

/** relatedCount sums the relations shown (for the tab's badge). */
export function relatedCount(rels: Relation[] | undefined, skip: Set<string>): number {
  return (rels ?? []).filter((r) => !skip.has(`${r.module}.${r.field}`)).reduce((n, r) => n + (r.count ?? 0), 0);
}

export function RelatedLists({ def, id, mods, skip, deleted }: { def: ModuleDef; id: string; mods: ModuleDef[]; skip: Set<string>; deleted: boolean }) {
  const { t } = useTranslation();
  const q = useRelated(def, id);
  if (q.isLoading) return <Skeleton active />;
  if (q.error) return <ErrorState error={q.error} retry={() => q.refetch()} />;
  const rels = (q.data ?? []).filter((r) => !skip.has(`${r.module}.${r.field}`));
  if (!rels.length) return <Empty description={t('related.none')} />;
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      {rels.map((r) => {
        const m = mods.find((x) => x.key === r.module);
        return m ? <RelatedList key={`${r.module}.${r.field}`} def={def} id={id} rel={r} child={m} deleted={deleted} /> : null;
      })}
    </Space>
  );
}

function RelatedList({ def, id, rel, child, deleted }: { def: ModuleDef; id: string; rel: Relation; child: ModuleDef; deleted: boolean }) {
  const { t } = useTranslation();
  const svc = useRender();
  const navigate = useNavigate();
  const locale = svc.format.locale;
  const fields = parseFields(child.schema);
  const title = titleField(child.schema, fields);
  // Besides the title: up to three fields that say most (selects, amounts, dates), not the lookup back here.
  const shown = fields.filter((f) => f !== title && f.key !== rel.field && ['select', 'currency', 'date', 'datetime', 'user', 'integer', 'decimal', 'percent'].includes(f.type)).slice(0, 3);
  const [more, setMore] = useState<RecordData[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(rel.page?.next_cursor);
  const [loading, setLoading] = useState(false);
  const rows = [...((rel.page?.records ?? []) as unknown as RecordData[]), ...more];
  const label = pick(child.label, locale) || child.key;
  const count = rel.count ?? rows.length;
  const fieldName = pick(rel.field_label as Record<string, string>, locale) || rel.field;
  return (
    <Card
      size="small"
      title={
        <h3 style={{ fontSize: 15, margin: 0 }}>
          {label} <Typography.Text type="secondary">({rel.count_exact === false ? t('related.countMore', { n: count }) : t('related.count', { n: count })})</Typography.Text>
          {' '}<Typography.Text type="secondary" style={{ fontSize: 12, fontWeight: 'normal' }}>{t('related.via', { field: fieldName })}</Typography.Text>
        </h3>
      }
      extra={!deleted && (
        <Button size="small" icon={<PlusOutlined />} onClick={() => navigate(`/${def.app}/${child.key}/new?${encodeURIComponent(rel.field ?? '')}=${encodeURIComponent(id)}`)}>
          {t('related.newRelated', { module: label })}
        </Button>
      )}
    >
      {!rows.length ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('common.empty')} /> : (
        <List
          size="small"
          dataSource={rows}
          renderItem={(r) => (
            <List.Item extra={<Typography.Text type="secondary">{formatDateTime(svc.format, r.created_at)}</Typography.Text>}>
              <Space orientation="vertical" size={0} style={{ minWidth: 0 }}>
                <Link to={`/${def.app}/${child.key}/${r.id}`} className="t-title-link t-wrap">{titleOf(child, r)}</Link>
                {shown.length > 0 && (
                  <Space size={12} wrap>
                    {shown.map((f) => r[f.key] !== undefined && r[f.key] !== null && (
                      <span key={f.key}><Typography.Text type="secondary">{fieldLabel(f, locale)}: </Typography.Text><FieldValue field={f} value={r[f.key]} /></span>
                    ))}
                  </Space>
                )}
              </Space>
            </List.Item>
          )}
        />
      )}
      {cursor && (
        <Button type="link" loading={loading} onClick={async () => {
          setLoading(true);
          try {
            const p = await related.page(def.app, def.key, id, child.key, rel.field ?? '', cursor);
            setMore((m) => [...m, ...p.records]);
            setCursor(p.next_cursor);
          } finally {
            setLoading(false);
          }
        }}>{t('common.loadMore')}</Button>
      )}
    </Card>
  );
}
