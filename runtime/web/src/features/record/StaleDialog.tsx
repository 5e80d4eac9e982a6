// "Someone changed this record": reload their version, or compare and keep
// one's own (the next save then knowingly writes over theirs).
import { Modal, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { FieldValue } from '../../render/Value';
import { fieldLabel, type Field } from '../../render/schema';
import type { Stale } from './editor';

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export function StaleDialog({ stale, fields, locale, onReload, onKeepMine }: {
  stale: Stale; fields: Field[]; locale: string; onReload: () => void; onKeepMine: () => void;
}) {
  const { t } = useTranslation();
  const diff = fields.filter((f) => !f.readOnly && !same(stale.mine[f.key], stale.theirs[f.key]));
  return (
    <Modal open title={t('record.staleTitle')} onOk={onReload} okText={t('common.reload')} onCancel={onKeepMine}
      cancelText={t('record.staleMine')} width={720}>
      <Typography.Paragraph>{t('record.staleBody')}</Typography.Paragraph>
      <Table
        size="small"
        rowKey="key"
        pagination={false}
        dataSource={diff}
        scroll={{ x: 'max-content' }}
        columns={[
          { key: 'f', title: t('history.field'), render: (_: unknown, f: Field) => fieldLabel(f, locale) },
          { key: 'mine', title: t('record.staleMine'), render: (_: unknown, f: Field) => <FieldValue field={f} value={stale.mine[f.key]} /> },
          { key: 'theirs', title: t('record.staleTheirs'), render: (_: unknown, f: Field) => <FieldValue field={f} value={stale.theirs[f.key]} /> },
        ]}
      />
    </Modal>
  );
}
