// /app/{app}/{module}/new — the form for a new record (?field=value prefills).
import { Alert, App, Button, Card, Skeleton, Space, Typography } from 'antd';
import { useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams, useSearchParams } from 'react-router';
import { records } from '../../api/records';
import { RecordForm } from '../../render/RecordForm';
import { parseFields, pick, type ModuleDef } from '../../render/schema';
import { titleOf, useModule } from '../data';
import { useSession } from '../session';
import { ErrorState } from '../shell/States';
import { useEditor } from './editor';

export function NewRecordPage() {
  const { app = '', module = '' } = useParams();
  const mod = useModule(app, module);
  if (mod.isLoading) return <div className="t-page"><Skeleton active /></div>;
  if (mod.error || !mod.data) return <ErrorState error={mod.error} retry={() => mod.refetch()} />;
  return <NewRecord key={`${app}/${module}@${mod.data.version}`} def={mod.data} />;
}

function NewRecord({ def }: { def: ModuleDef }) {
  const { t } = useTranslation();
  const { locale } = useSession();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [params] = useSearchParams();
  const fields = useMemo(() => parseFields(def.schema), [def.schema]);
  const initial = useMemo(() => {
    const v: Record<string, unknown> = {};
    for (const f of fields) {
      const p = params.get(f.key);
      if (p !== null && !f.readOnly) v[f.key] = p;
      else if (f.schema.default !== undefined && typeof f.schema.default !== 'object') v[f.key] = f.schema.default;
    }
    return v;
  }, [fields, params]);
  const ed = useEditor({
    def, fields, initial, locale,
    draftKey: `tessera.draft:${def.app}/${def.key}/new`,
    save: (input) => records.create(def.app, def.key, input),
  });
  const label = pick(def.label, locale) || def.key;
  async function save() {
    const rec = await ed.submit();
    if (rec) {
      message.success(t('record.created', { title: titleOf(def, rec) }));
      qc.invalidateQueries({ queryKey: ['records', def.app, def.key] });
      navigate(`/${def.app}/${def.key}/${rec.id}`, { replace: true });
    }
  }
  return (
    <div className="t-page">
      <div className="t-page-head">
        <Typography.Title level={1}>{t('record.newTitle', { module: label })}</Typography.Title>
      </div>
      {ed.restoredDraft && (
        <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('record.draftRestored')}
          action={<Button size="small" onClick={() => ed.reset(initial)}>{t('record.discardDraft')}</Button>} />
      )}
      <Card>
        <form onSubmit={(e) => { e.preventDefault(); save(); }} noValidate>
          <RecordForm module={def} values={ed.values} errors={ed.errors} onChange={ed.change} onLocalError={ed.localError} mode="edit" />
          {Object.keys(ed.errors).length > 0 && <Alert type="error" role="alert" title={t('record.fixErrors')} style={{ marginBottom: 12 }} />}
          {ed.detail && <Alert type="error" role="alert" title={ed.detail} style={{ marginBottom: 12 }} />}
          <Space>
            <Button type="primary" htmlType="submit" loading={ed.saving}>{t('common.save')}</Button>
            <Button onClick={() => { ed.discardDraft(); navigate(`/${def.app}/${def.key}`); }}>{t('common.cancel')}</Button>
          </Space>
        </form>
      </Card>
    </div>
  );
}
