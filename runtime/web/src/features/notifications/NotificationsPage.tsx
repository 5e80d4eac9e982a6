// Notifications left by rules: unread first, each opening its record.
import { Button, Empty, List, Segmented, Skeleton, Typography } from 'antd';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { request } from '../../api/http';
import type { Notification } from '../../api/client';
import { formatDateTime, relative } from '../../render/format';
import { useSession } from '../session';
import { ErrorState } from '../shell/States';

export function NotificationsPage() {
  const { t } = useTranslation();
  const session = useSession();
  const qc = useQueryClient();
  const [which, setWhich] = useState<'unread' | 'all'>('unread');
  const list = useQuery({
    queryKey: ['notifications', which],
    queryFn: async () =>
      (await request<{ notifications: Notification[] }>('GET', '/api/notifications', { query: { unread: which === 'unread' || undefined, limit: 200 } })).notifications,
  });
  const read = useMutation({
    mutationFn: (id: string) => request('POST', `/api/notifications/${encodeURIComponent(id)}/read`),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['notifications'] }),
  });
  const fmt = { locale: session.locale, timeZone: session.timeZone, currency: 'CNY' };
  return (
    <div className="t-page">
      <div className="t-page-head">
        <Typography.Title level={1}>{t('notifications.title')}</Typography.Title>
        <Segmented
          value={which}
          onChange={(v) => setWhich(v as 'unread' | 'all')}
          options={[{ value: 'unread', label: t('notifications.unread') }, { value: 'all', label: t('notifications.all') }]}
        />
      </div>
      {list.isLoading ? <Skeleton active /> : list.error ? <ErrorState error={list.error} retry={() => list.refetch()} /> :
        !list.data?.length ? <Empty description={t('notifications.none')} /> : (
        <List
          dataSource={list.data}
          renderItem={(n) => (
            <List.Item
              actions={n.read_at ? [] : [
                <Button key="read" size="small" onClick={() => read.mutate(n.id!)} loading={read.isPending && read.variables === n.id}>
                  {t('notifications.markRead')}
                </Button>,
              ]}
            >
              <List.Item.Meta
                title={
                  <>
                    {!n.read_at && <span className="t-dot" style={{ background: '#1677ff', marginInlineEnd: 8 }} aria-hidden />}
                    {n.app && n.module && n.record_id
                      ? <Link to={`/${n.app}/${n.module}/${n.record_id}`} onClick={() => !n.read_at && read.mutate(n.id!)}>{n.title}</Link>
                      : n.title}
                  </>
                }
                description={n.created_at && <span title={formatDateTime(fmt, n.created_at)}>{relative(fmt, n.created_at)}</span>}
              />
            </List.Item>
          )}
        />
      )}
    </div>
  );
}
