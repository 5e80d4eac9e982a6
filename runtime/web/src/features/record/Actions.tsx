// The record header's work buttons beside 编辑: the module's manual rules
// (buttons whose condition holds for this record; those that ask for
// inputs open a small form first), 打印 with the module's print
// templates (a PDF in a new tab) and 领取 from a pool when the record has
// no owner and a pool of the module exists (the server checks the grant).
import { Alert, App, Button, Dropdown, Modal, Space } from 'antd';
import { PrinterOutlined, ThunderboltOutlined, UserAddOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/http';
import type { RecordData } from '../../api/records';
import { buttons, pools, prints, type Button as RuleButton } from '../../api/work';
import { RecordForm, type Values } from '../../render/RecordForm';
import { pick, type ModuleDef } from '../../render/schema';
import { useSession } from '../session';
import { errorText } from '../shell/States';

export function RecordActions({ def, rec }: { def: ModuleDef; rec: RecordData }) {
  const { t } = useTranslation();
  const { locale } = useSession();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const btns = useQuery({ queryKey: ['buttons', def.app, def.key, rec.id, rec.version], queryFn: () => buttons.list(def.app, def.key, rec.id) });
  const tpls = useQuery({ queryKey: ['print-templates', def.app], queryFn: () => prints.list(def.app), staleTime: 60_000 });
  const poolList = useQuery({ queryKey: ['pools', def.app], queryFn: () => pools.list(def.app), staleTime: 60_000, enabled: !rec.owner });
  const [asking, setAsking] = useState<RuleButton>();
  const [busy, setBusy] = useState<string>();

  const refresh = () => {
    qc.invalidateQueries({ queryKey: ['record', def.app, def.key, rec.id] });
    qc.invalidateQueries({ queryKey: ['timeline', def.app, def.key, rec.id] });
    qc.invalidateQueries({ queryKey: ['related', def.app, def.key, rec.id] });
    qc.invalidateQueries({ queryKey: ['records', def.app, def.key] });
  };

  async function press(b: RuleButton, input?: Values): Promise<ApiError | undefined> {
    setBusy(b.key);
    try {
      await buttons.press(def.app, def.key, rec.id, b.key ?? '', input);
      message.success(t('buttons.done', { label: pick(b.label as Record<string, string>, locale) || b.key }));
      refresh();
      return undefined;
    } catch (e) {
      if (input && e instanceof ApiError && e.status === 422 && e.fieldErrors.length) return e;
      message.error(errorText(e, t));
      return undefined;
    } finally {
      setBusy(undefined);
    }
  }

  const applying = (btns.data ?? []).filter((b) => b.applies !== false);
  const mine = (tpls.data ?? []).filter((p) => p.module === def.key);
  const pool = rec.owner ? undefined : (poolList.data ?? []).find((p) => p.module === def.key);
  return (
    <>
      {applying.map((b) => {
        const inputs = b.inputs as Record<string, unknown> | undefined;
        const asks = !!inputs && Object.keys((inputs.properties ?? {}) as object).length > 0;
        return (
          <Button key={b.key} icon={<ThunderboltOutlined aria-hidden />} loading={busy === b.key} onClick={() => (asks ? setAsking(b) : press(b))}>
            {pick(b.label as Record<string, string>, locale) || b.key}
          </Button>
        );
      })}
      {pool && (
        <Button icon={<UserAddOutlined aria-hidden />} loading={busy === 'claim'} onClick={async () => {
          setBusy('claim');
          try {
            await pools.claim(def.app, pool.key, rec.id);
            message.success(t('pool.claimed'));
            refresh();
          } catch (e) {
            message.error(errorText(e, t));
          } finally {
            setBusy(undefined);
          }
        }}>{t('pool.claim')}</Button>
      )}
      {mine.length > 0 && (
        <Dropdown menu={{
          items: mine.map((p) => ({
            key: p.key,
            label: <a href={prints.href(def.app, def.key, rec.id, p.key)} target="_blank" rel="noopener noreferrer">{pick(p.label as Record<string, string>, locale) || p.key}</a>,
          })),
        }}>
          <Button icon={<PrinterOutlined aria-hidden />}>{t('print.title')}</Button>
        </Dropdown>
      )}
      {asking && <InputsDialog def={def} button={asking} onClose={() => setAsking(undefined)} press={(v) => press(asking, v)} />}
    </>
  );
}

function InputsDialog({ def, button, press, onClose }: { def: ModuleDef; button: RuleButton; press: (v: Values) => Promise<ApiError | undefined>; onClose: () => void }) {
  const { t } = useTranslation();
  const { locale } = useSession();
  const label = pick(button.label as Record<string, string>, locale) || button.key || '';
  const mod: ModuleDef = { ...def, key: `${def.key}-button-${button.key}`, schema: (button.inputs ?? {}) as Record<string, unknown> };
  const [values, setValues] = useState<Values>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [detail, setDetail] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <Modal open title={label} okText={label} cancelText={t('common.cancel')} onCancel={onClose} okButtonProps={{ loading: busy }}
      onOk={async () => {
        setBusy(true);
        const e = await press(values);
        setBusy(false);
        if (!e) return onClose();
        setErrors(Object.fromEntries(e.fieldErrors.map((f) => [f.field.replace(/^input\./, ''), f.message])));
        setDetail(e.problem.detail);
      }}>
      <Space orientation="vertical" style={{ width: '100%' }}>
        <RecordForm module={mod} values={values} errors={errors} onChange={(v) => setValues(v)} mode="edit" idPrefix="button" />
        {detail && <Alert type="error" role="alert" title={detail} />}
      </Space>
    </Modal>
  );
}
