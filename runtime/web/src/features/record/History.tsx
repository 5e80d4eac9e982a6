// The record's history from GET …/records/{id}/history: who changed what
// and when (relative times), field by field before → after.
import { Button, Empty, Skeleton, Timeline, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import type { HistoryPage } from '../../api/client';
import { request } from '../../api/http';
import { useRender } from '../../render/context';
import { formatDateTime, relative } from '../../render/format';
import { FieldValue, PersonValue } from '../../render/Value';
import { fieldLabel, type Field } from '../../render/schema';
import { ErrorState } from '../shell/States';

export function History({ app, module, id, fields, version }: { app: string; module: string; id: string; fields: Field[]; version: number }) {
  const { t } = useTranslation();
  const svc = useRender();
  const q = useInfiniteQuery({
    queryKey: ['history', app, module, id, version],
    initialPageParam: '',
    queryFn: ({ pageParam }) =>
      request<HistoryPage>('GET', `/api/apps/${app}/modules/${module}/records/${id}/history`, { query: { limit: 50, cursor: pageParam || undefined } }),
    getNextPageParam: (p) => p.next_cursor || undefined,
  });
  if (q.isLoading) return <Skeleton active />;
  if (q.error) return <ErrorState error={q.error} retry={() => q.refetch()} />;
  const entries = q.data?.pages.flatMap((p) => p.entries) ?? [];
  if (!entries.length) return <Empty description={t('history.none')} />;
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const verb: Record<string, string> = { create: t('history.created'), update: t('history.updated'), delete: t('history.deleted'), restore: t('history.restored') };
  return (
    <>
      <Timeline
        items={entries.map((e) => ({
          key: e.id,
          color: e.action === 'delete' ? 'red' : e.action === 'create' ? 'green' : 'blue',
          children: (
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
          ),
        }))}
      />
      {q.hasNextPage && <Button onClick={() => q.fetchNextPage()} loading={q.isFetchingNextPage}>{t('common.loadMore')}</Button>}
    </>
  );
}
