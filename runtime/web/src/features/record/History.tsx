// One audit entry of a record's history (GET …/history, and the kind
// "history" entries of its timeline): who changed what and when (relative
// times), field by field before → after.
import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { HistoryEntry } from '../../api/client';
import { useRender } from '../../render/context';
import { formatDateTime, relative } from '../../render/format';
import { FieldValue, PersonValue } from '../../render/Value';
import { fieldLabel, type Field } from '../../render/schema';

/** HistoryEntryView is one audit entry: who did what when, and each field before → after. */
export function HistoryEntryView({ e, byKey }: { e: HistoryEntry; byKey: Map<string, Field> }) {
  const { t } = useTranslation();
  const svc = useRender();
  const verb: Record<string, string> = { create: t('history.created'), update: t('history.updated'), delete: t('history.deleted'), restore: t('history.restored') };
  return (
    <div>
      <div>
        <Typography.Text strong>{e.actor ? <PersonValue id={e.actor} /> : t('history.system')}</Typography.Text>{' '}
        {verb[e.action] ?? e.action}{' '}
        <Typography.Text type="secondary" title={formatDateTime(svc.format, e.at)}>{relative(svc.format, e.at)}</Typography.Text>
        {e.via && e.via !== 'api' && <Typography.Text type="secondary"> · {t('history.via', { via: e.via })}</Typography.Text>}
      </div>
      {e.action !== 'delete' && e.action !== 'restore' && (
        <ul style={{ margin: '4px 0 0', paddingInlineStart: 18 }}>
          {Object.entries(e.diff ?? {}).map(([k, ch]) => {
            const f = byKey.get(k);
            const c = ch as { before?: unknown; after?: unknown };
            if (!f) return null;
            return (
              <li key={k} className="t-wrap">
                {fieldLabel(f, svc.format.locale)}:{' '}
                {e.action === 'update' && <><span className="t-diff-old"><FieldValue field={f} value={c.before} /></span> → </>}
                <FieldValue field={f} value={c.after} />
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
