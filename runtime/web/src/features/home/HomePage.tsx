// Home: the user's approvals waiting for them (overdue in red), their apps,
// unread notifications and recently opened records.
import { Card, Col, Empty, List, Row, Skeleton, Typography } from 'antd';
import { AppstoreOutlined } from '@ant-design/icons';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { pick } from '../../render/schema';
import { relative } from '../../render/format';
import { useApps } from '../data';
import { useSession } from '../session';
import { usePendingApprovals, useUnread } from '../shell/Shell';
import { dueState, inboxHref } from '../approvals/model';
import { formatDateTime } from '../../render/format';
import { ErrorState } from '../shell/States';
import { recentRecords } from './recent';

export function HomePage() {
  const { t } = useTranslation();
  const session = useSession();
  const apps = useApps();
  const unread = useUnread();
  const recent = recentRecords();
  const pending = usePendingApprovals();
  const fmt = { locale: session.locale, timeZone: session.timeZone, currency: 'CNY' };
  return (
    <div className="t-page">
      <div className="t-page-head">
        <Typography.Title level={1}>{t('home.welcome', { name: session.user?.name || session.user?.email })}</Typography.Title>
      </div>
      <Row gutter={[16, 16]}>
        <Col xs={24}>
          <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('home.myApprovals')}</h2>} extra={<Link to="/approvals">{t('inbox.title')}</Link>}>
            {pending.isLoading ? <Skeleton active /> : pending.error ? <ErrorState error={pending.error} retry={() => pending.refetch()} /> :
              !pending.data?.length ? <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('inbox.emptyPending')} /> : (
              <List
                dataSource={pending.data.slice(0, 6)}
                renderItem={(i) => {
                  const overdue = i.overdue || dueState(i.due_at, new Date()) === 'overdue';
                  return (
                    <List.Item extra={i.due_at && <Typography.Text className={overdue ? 't-overdue' : undefined} type={overdue ? undefined : 'secondary'}>
                      {overdue ? t('approval.overdue', { at: formatDateTime(fmt, i.due_at) }) : t('approval.due', { at: formatDateTime(fmt, i.due_at) })}</Typography.Text>}>
                      <List.Item.Meta title={<Link to={inboxHref(i)} className="t-wrap">{i.title || i.record}</Link>}
                        description={`${pick(i.label as Record<string, string>, session.locale) || i.process || ''} · ${pick(i.step_label as Record<string, string>, session.locale) || i.step || ''}`} />
                    </List.Item>
                  );
                }}
              />
            )}
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('home.myApps')}</h2>}>
            {apps.isLoading ? <Skeleton active /> : apps.error ? <ErrorState error={apps.error} retry={() => apps.refetch()} /> :
              !apps.data?.length ? <Empty description={<><div>{t('shell.noApps')}</div><Typography.Text type="secondary">{t('shell.noAppsHint')}</Typography.Text></>} /> : (
              <List
                dataSource={apps.data}
                renderItem={(a) => (
                  <List.Item>
                    <Link to={`/${a.key}`}><AppstoreOutlined aria-hidden /> {pick(a.label as Record<string, string>, session.locale) || a.key}</Link>
                  </List.Item>
                )}
              />
            )}
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('home.unread')}</h2>} extra={<Link to="/notifications">{t('notifications.all')}</Link>}>
            {unread.isLoading ? <Skeleton active /> : !unread.data?.length ? <Empty description={t('notifications.none')} /> : (
              <List
                dataSource={unread.data.slice(0, 6)}
                renderItem={(n) => (
                  <List.Item>
                    <List.Item.Meta
                      title={n.app && n.module && n.record_id ? <Link to={`/${n.app}/${n.module}/${n.record_id}`}>{n.title}</Link> : n.title}
                      description={n.created_at ? relative(fmt, n.created_at) : undefined}
                    />
                  </List.Item>
                )}
              />
            )}
          </Card>
        </Col>
        <Col xs={24}>
          <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('home.recent')}</h2>}>
            {!recent.length ? <Empty description={t('home.noRecent')} /> : (
              <List
                dataSource={recent}
                renderItem={(r) => (
                  <List.Item extra={<Typography.Text type="secondary">{relative(fmt, r.at)}</Typography.Text>}>
                    <List.Item.Meta title={<Link to={`/${r.app}/${r.module}/${r.id}`}>{r.title}</Link>} description={r.moduleLabel} />
                  </List.Item>
                )}
              />
            )}
          </Card>
        </Col>
      </Row>
    </div>
  );
}
