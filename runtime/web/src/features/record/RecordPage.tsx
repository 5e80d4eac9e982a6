// /app/{app}/{module}/{id} — the record page (360°): header with the title,
// key facts and actions (rule buttons, 打印, 领取, 编辑); the stage path of
// each pipeline of the module; tabs 详情 (read mode, 编辑 switches to the
// form; line items below), 相关 (related lists) and 动态 (the timeline);
// beside them (above them on a phone) the approval panel and the quick
// follow-up box. ?approval= picks the approval shown (inbox links).
import { Alert, App, Badge, Button, Card, Col, Descriptions, Dropdown, Row, Skeleton, Space, Tabs, Tag, Typography } from 'antd';
import { DeleteOutlined, EditOutlined, MoreOutlined, RollbackOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { records, type RecordData } from '../../api/records';
import { useRender } from '../../render/context';
import { formatDateTime } from '../../render/format';
import { FieldValue, PersonValue } from '../../render/Value';
import { RecordForm, type Values } from '../../render/RecordForm';
import { fieldLabel, parseFields, pick, titleField, type Field, type ModuleDef } from '../../render/schema';
import { titleOf, useModule, useModules } from '../data';
import { useSession } from '../session';
import { ErrorState, errorText } from '../shell/States';
import { rememberRecord } from '../home/recent';
import { useEditor } from './editor';
import { LineItems } from './LineItems';
import { activityModules, lineItemModules } from './relations';
import { RecordActions } from './Actions';
import { RelatedLists, relatedCount, useRelated } from './Related';
import { FollowUpBox, RecordTimeline } from './Timeline';
import { PathBar } from '../flow/PathBar';
import { useFlows } from '../flow/queries';
import { RecordApprovals } from '../approvals/ApprovalPanel';
import { approvals } from '../../api/work';
import { StaleDialog } from './StaleDialog';

export function RecordPage() {
  const { app = '', module = '', id = '' } = useParams();
  const mod = useModule(app, module);
  const rec = useQuery({
    queryKey: ['record', app, module, id],
    queryFn: () => records.get(app, module, id, lookups(mod.data)),
    enabled: !!mod.data,
  });
  if (mod.isLoading || (mod.data && rec.isLoading)) return <div className="t-page"><Skeleton active /></div>;
  if (mod.error || !mod.data) return <ErrorState error={mod.error} retry={() => mod.refetch()} />;
  if (rec.error || !rec.data) return <ErrorState error={rec.error} retry={() => rec.refetch()} />;
  return <Record key={`${id}`} def={mod.data} rec={rec.data} />;
}

function lookups(def?: ModuleDef): string | undefined {
  if (!def) return undefined;
  const keys = parseFields(def.schema).filter((f) => f.type === 'lookup' || f.type === 'user').slice(0, 10).map((f) => f.key);
  return keys.join(',') || undefined;
}

/** keyFacts are what the header shows besides the title: owner, the first amount and the first select. */
function keyFacts(fields: Field[], title?: Field): Field[] {
  const out: Field[] = [];
  const amount = fields.find((f) => f.type === 'currency');
  const stage = fields.find((f) => f.type === 'select');
  for (const f of [amount, stage]) if (f && f !== title) out.push(f);
  return out;
}

function valuesOf(fields: Field[], rec: RecordData): Values {
  const v: Values = {};
  for (const f of fields) if (rec[f.key] !== null && rec[f.key] !== undefined) v[f.key] = rec[f.key];
  return v;
}

function Record({ def, rec }: { def: ModuleDef; rec: RecordData }) {
  const { t } = useTranslation();
  const { locale } = useSession();
  const svc = useRender();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { message, modal } = App.useApp();
  const [params, setParams] = useSearchParams();
  const fields = useMemo(() => parseFields(def.schema), [def.schema]);
  const title = useMemo(() => titleField(def.schema, fields), [def.schema, fields]);
  const mods = useModules(def.app);
  const children = useMemo(() => lineItemModules(mods.data ?? [], def), [mods.data, def]);
  const activities = useMemo(() => activityModules(mods.data ?? [], def.key), [mods.data, def.key]);
  const lineKeys = useMemo(() => new Set(children.map((c) => `${c.def.key}.${c.via}`)), [children]);
  const flowList = useFlows(def.app, def.key);
  const rel = useRelated(def, rec.id);
  const insts = useQuery({ queryKey: ['approvals', 'record', def.app, def.key, rec.id], queryFn: () => approvals.ofRecord(def.app, def.key, rec.id) });
  const procs = useQuery({ queryKey: ['approval-processes', def.app], queryFn: () => approvals.processes(def.app), staleTime: 60_000 });
  const hasApproval = (insts.data?.length ?? 0) > 0 || (procs.data ?? []).some((p) => p.module === def.key);
  const hasAside = hasApproval || (activities.length > 0 && !rec.deleted_at);
  const draftKey = `tessera.draft:${def.app}/${def.key}/${rec.id}`;
  const [editing, setEditing] = useState(() => {
    try {
      return params.get('edit') === '1' || sessionStorage.getItem(draftKey) !== null;
    } catch {
      return false;
    }
  });
  const [version, setVersion] = useState(rec.version);
  const tab = ['history', 'related'].includes(params.get('tab') ?? '') ? params.get('tab')! : 'details';
  const name = titleOf(def, rec);
  const moduleLabel = pick(def.label, locale) || def.key;
  const deleted = !!rec.deleted_at;

  useEffect(() => {
    rememberRecord({ app: def.app, module: def.key, moduleLabel, id: rec.id, title: name });
  }, [def.app, def.key, moduleLabel, rec.id, name]);
  useEffect(() => setVersion(rec.version), [rec.version]);

  const ed = useEditor({
    def, fields, locale, draftKey,
    initial: valuesOf(fields, rec),
    save: (input) => {
      // Send every editable field: cleared ones as null.
      const body: Values = {};
      for (const f of fields) if (!f.readOnly && !['autonumber', 'formula', 'rollup'].includes(f.type)) body[f.key] = input[f.key] ?? null;
      return records.update(def.app, def.key, rec.id, version, body);
    },
    reload: () => records.get(def.app, def.key, rec.id),
  });

  async function save() {
    const saved = await ed.submit();
    if (saved) {
      message.success(t('record.savedMsg'));
      setEditing(false);
      qc.setQueryData(['record', def.app, def.key, rec.id], undefined);
      await qc.invalidateQueries({ queryKey: ['record', def.app, def.key, rec.id] });
      qc.invalidateQueries({ queryKey: ['records', def.app, def.key] });
      qc.invalidateQueries({ queryKey: ['history', def.app, def.key, rec.id] });
    }
  }

  function remove() {
    modal.confirm({
      title: t('record.deleteConfirm'),
      okText: t('common.delete'),
      okButtonProps: { danger: true },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await records.remove(def.app, def.key, rec.id);
          message.success(t('record.deleted'));
          qc.invalidateQueries({ queryKey: ['records', def.app, def.key] });
          await qc.invalidateQueries({ queryKey: ['record', def.app, def.key, rec.id] });
        } catch (e) {
          message.error(errorText(e, t));
        }
      },
    });
  }

  async function restore() {
    try {
      await records.restore(def.app, def.key, rec.id);
      message.success(t('record.restored'));
      qc.invalidateQueries({ queryKey: ['records', def.app, def.key] });
      await qc.invalidateQueries({ queryKey: ['record', def.app, def.key, rec.id] });
    } catch (e) {
      message.error(errorText(e, t));
    }
  }

  const facts = keyFacts(fields, title);
  return (
    <div className="t-page">
      <div className="t-page-head">
        <Space orientation="vertical" size={0} className="t-grow">
          <Typography.Text type="secondary">
            <a href={`/app/${def.app}/${def.key}`} onClick={(e) => { e.preventDefault(); navigate(`/${def.app}/${def.key}`); }}>{moduleLabel}</a>
          </Typography.Text>
          <Typography.Title level={1} className="t-wrap">{name || t('record.untitled')} {deleted && <Tag color="red">{t('common.delete')}</Tag>}</Typography.Title>
        </Space>
        <Space wrap>
          {!deleted && !editing && <RecordActions def={def} rec={rec} />}
          {deleted ? (
            <Button icon={<RollbackOutlined />} onClick={restore}>{t('common.restore')}</Button>
          ) : !editing && (
            <>
              <Button type="primary" icon={<EditOutlined />} onClick={() => { setEditing(true); setParams((p) => { p.set('tab', 'details'); return p; }, { replace: true }); }}>{t('common.edit')}</Button>
              <Dropdown menu={{ items: [{ key: 'delete', danger: true, icon: <DeleteOutlined />, label: t('common.delete') }], onClick: ({ key }) => key === 'delete' && remove() }}>
                <Button icon={<MoreOutlined />}>{t('common.more')}</Button>
              </Dropdown>
            </>
          )}
        </Space>
      </div>
      <Descriptions
        size="small"
        column={{ xs: 1, sm: 2, md: 4 }}
        style={{ marginBottom: 12 }}
        items={[
          { key: 'owner', label: t('record.owner'), children: rec.owner ? <PersonValue id={rec.owner} /> : '—' },
          ...facts.map((f) => ({ key: f.key, label: fieldLabel(f, locale), children: <FieldValue field={f} value={rec[f.key]} /> })),
          { key: 'updated', label: t('record.updatedAt'), children: formatDateTime(svc.format, rec.updated_at) },
        ]}
      />
      {(flowList.data ?? []).map((f) => <PathBar key={f.key} def={def} rec={rec} flow={f} />)}
      {deleted && <Alert type="warning" showIcon title={t('record.isDeleted')} style={{ marginBottom: 12 }} />}
      <Row gutter={[16, 16]}>
      {hasAside && (
        <Col xs={{ span: 24, order: 1 }} lg={{ span: 8, order: 2 }} className="t-aside">
          {hasApproval && <RecordApprovals def={def} rec={rec} focus={params.get('approval') ?? undefined} />}
          {activities.length > 0 && !deleted && <FollowUpBox def={def} rec={rec} activities={activities} />}
        </Col>
      )}
      <Col xs={{ span: 24, order: 2 }} lg={{ span: hasAside ? 16 : 24, order: 1 }} style={{ minWidth: 0 }}>
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams((p) => { if (k === 'details') p.delete('tab'); else p.set('tab', k); return p; }, { replace: true })}
        items={[
          {
            key: 'details',
            label: t('record.details'),
            children: (
              <>
                <Card>
                  {editing ? (
                    <form onSubmit={(e) => { e.preventDefault(); save(); }} noValidate>
                      {ed.restoredDraft && <Alert type="info" showIcon title={t('record.draftRestored')} style={{ marginBottom: 12 }} />}
                      <RecordForm module={def} values={ed.values} errors={ed.errors} onChange={ed.change} onLocalError={ed.localError} mode="edit" />
                      {Object.keys(ed.errors).length > 0 && <Alert type="error" role="alert" title={t('record.fixErrors')} style={{ marginBottom: 12 }} />}
                      {ed.detail && <Alert type="error" role="alert" title={ed.detail} style={{ marginBottom: 12 }} />}
                      <Space>
                        <Button type="primary" htmlType="submit" loading={ed.saving}>{t('common.save')}</Button>
                        <Button onClick={() => { ed.reset(valuesOf(fields, rec)); setEditing(false); }}>{t('common.cancel')}</Button>
                      </Space>
                    </form>
                  ) : (
                    <RecordForm module={def} values={rec} expand={rec.expand} mode="read" />
                  )}
                </Card>
                {!deleted && children.map((c) => <LineItems key={c.def.key} child={c} parentId={rec.id} />)}
              </>
            ),
          },
          {
            key: 'related',
            label: <>{t('related.title')} <Badge count={relatedCount(rel.data, lineKeys)} overflowCount={999} showZero={false} color="#8c8c8c" /></>,
            children: <RelatedLists def={def} id={rec.id} mods={mods.data ?? []} skip={lineKeys} deleted={deleted} />,
          },
          { key: 'history', label: t('record.history'), children: <RecordTimeline def={def} rec={rec} fields={fields} flows={flowList.data ?? []} mods={mods.data ?? []} /> },
        ]}
      />
      </Col>
      </Row>
      {ed.stale && (
        <StaleDialog
          stale={ed.stale}
          fields={fields}
          locale={locale}
          onReload={() => {
            const theirs = ed.stale!.theirs;
            ed.setStale(undefined);
            ed.reset(valuesOf(fields, theirs));
            setVersion(theirs.version);
            qc.setQueryData(['record', def.app, def.key, rec.id], (old: RecordData | undefined) => ({ ...(old ?? {}), ...theirs }));
          }}
          onKeepMine={() => {
            setVersion(ed.stale!.theirs.version);
            ed.setStale(undefined);
          }}
        />
      )}
    </div>
  );
}
