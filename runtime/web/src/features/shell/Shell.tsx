// The shell: left navigation from the app's modules (a drawer on phones),
// a top bar with the app switcher, search, the notification bell and the
// user menu.
import { AutoComplete, Badge, Button, Drawer, Dropdown, Grid, Input, Layout, Menu, Modal, Select, Skeleton, Space, Typography } from 'antd';
import { AppstoreOutlined, AuditOutlined, BellOutlined, DownOutlined, HomeOutlined, MenuOutlined, TableOutlined, UserOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { request } from '../../api/http';
import type { Notification } from '../../api/client';
import { approvals } from '../../api/work';
import { records } from '../../api/records';
import { parseFields, pick, titleField } from '../../render/schema';
import { quote, titleOf, useApps, useModules } from '../data';
import { useSession } from '../session';
import type { Locale } from '../../i18n';

export function useUnread() {
  return useQuery({
    queryKey: ['notifications', 'unread'],
    queryFn: async () => (await request<{ notifications: Notification[] }>('GET', '/api/notifications', { query: { unread: true, limit: 200 } })).notifications,
    refetchInterval: 60_000,
    staleTime: 30_000,
  });
}

function NavMenu({ onNavigate }: { onNavigate?: () => void }) {
  const { t } = useTranslation();
  const { locale } = useSession();
  const { app, module } = useParams();
  const loc = useLocation();
  const apps = useApps();
  const mods = useModules(app);
  const items = app
    ? (mods.data ?? []).map((m) => ({
        key: m.key,
        icon: <TableOutlined aria-hidden />,
        label: <Link to={`/${app}/${m.key}`} onClick={onNavigate}>{pick(m.label, locale) || m.key}</Link>,
      }))
    : [
        { key: '/', icon: <HomeOutlined aria-hidden />, label: <Link to="/" onClick={onNavigate}>{t('home.title')}</Link> },
        { key: '/approvals', icon: <AuditOutlined aria-hidden />, label: <Link to="/approvals" onClick={onNavigate}>{t('inbox.title')}</Link> },
        ...(apps.data ?? []).map((a) => ({
          key: a.key,
          icon: <AppstoreOutlined aria-hidden />,
          label: <Link to={`/${a.key}`} onClick={onNavigate}>{pick(a.label as Record<string, string>, locale) || a.key}</Link>,
        })),
      ];
  const selected = app ? module ?? '' : ['/', '/approvals'].includes(loc.pathname) ? loc.pathname : '';
  return (
    <nav aria-label={t('shell.modules')}>
      <Menu mode="inline" selectedKeys={[selected]} items={items} style={{ borderInlineEnd: 0 }} />
    </nav>
  );
}

function AppSwitcher() {
  const { t } = useTranslation();
  const { locale } = useSession();
  const { app } = useParams();
  const navigate = useNavigate();
  const apps = useApps();
  if (!apps.data?.length) return null;
  return (
    <Select
      aria-label={t('shell.switchApp')}
      value={app}
      placeholder={t('shell.switchApp')}
      style={{ minWidth: 120, maxWidth: 200 }}
      onChange={(k) => navigate(`/${k}`)}
      options={apps.data.map((a) => ({ value: a.key, label: pick(a.label as Record<string, string>, locale) || a.key }))}
      popupMatchSelectWidth={false}
    />
  );
}

// Search over the title fields of the app's modules ("/" focuses it).
function AppSearch() {
  const { t } = useTranslation();
  const { locale } = useSession();
  const { app } = useParams();
  const navigate = useNavigate();
  const mods = useModules(app);
  const [q, setQ] = useState('');
  const [dq, setDq] = useState('');
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const h = setTimeout(() => setDq(q.trim()), 300);
    return () => clearTimeout(h);
  }, [q]);
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement;
      if (e.key === '/' && !/INPUT|TEXTAREA|SELECT/.test(el.tagName) && !el.isContentEditable) {
        e.preventDefault();
        ref.current?.focus();
      }
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, []);
  const found = useQuery({
    queryKey: ['app-search', app, dq],
    enabled: !!app && !!dq && !!mods.data,
    queryFn: async () => {
      const groups = await Promise.all(
        (mods.data ?? []).slice(0, 8).map(async (m) => {
          const f = titleField(m.schema, parseFields(m.schema));
          if (!f) return null;
          const page = await records.list(app!, m.key, { filter: `${f.key} contains ${quote(dq)}`, limit: 5 }).catch(() => null);
          if (!page?.records.length) return null;
          return {
            label: pick(m.label, locale) || m.key,
            options: page.records.map((r) => ({ value: `/${app}/${m.key}/${r.id}`, label: titleOf(m, r) })),
          };
        }),
      );
      return groups.filter((g): g is NonNullable<typeof g> => g !== null);
    },
  });
  if (!app) return null;
  return (
    <AutoComplete
      options={found.data ?? []}
      value={q}
      onChange={setQ}
      onSelect={(v: string) => {
        setQ('');
        navigate(v);
      }}
      style={{ width: '100%', maxWidth: 320 }}
      popupMatchSelectWidth={320}
    >
      <Input.Search ref={ref as never} aria-label={t('shell.searchPlaceholder')} placeholder={t('shell.searchPlaceholder')} allowClear />
    </AutoComplete>
  );
}

function TimeZoneDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const session = useSession();
  const zones = useMemo(() => {
    try {
      return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
    } catch {
      return ['Asia/Shanghai', 'UTC'];
    }
  }, []);
  const [tz, setTz] = useState(session.timeZone);
  return (
    <Modal open={open} title={t('shell.timeZone')} onCancel={onClose} okText={t('common.save')} cancelText={t('common.cancel')}
      onOk={async () => {
        await session.changeTimeZone(tz);
        onClose();
      }}>
      <Select aria-label={t('shell.timeZone')} showSearch value={tz} onChange={setTz} style={{ width: '100%' }}
        options={zones.map((z) => ({ value: z, label: z }))} />
    </Modal>
  );
}

function UserMenu() {
  const { t } = useTranslation();
  const session = useSession();
  const navigate = useNavigate();
  const [tzOpen, setTzOpen] = useState(false);
  const name = session.user?.name || session.user?.email || '';
  return (
    <>
      <Dropdown
        trigger={['click']}
        menu={{
          items: [
            { key: 'who', label: <Typography.Text strong>{name}</Typography.Text>, disabled: true },
            { type: 'divider' },
            {
              key: 'lang', label: t('shell.language'),
              children: (['zh-CN', 'en'] as Locale[]).map((l) => ({
                key: 'lang:' + l,
                label: (l === 'zh-CN' ? '简体中文' : 'English') + (session.locale === l ? ' ✓' : ''),
              })),
            },
            { key: 'tz', label: `${t('shell.timeZone')}: ${session.timeZone}` },
            { key: 'sessions', label: t('shell.sessions') },
            { key: 'tokens', label: t('shell.tokens') },
            { type: 'divider' },
            { key: 'signout', label: t('shell.signOut'), danger: true },
          ],
          onClick: async ({ key }) => {
            if (key.startsWith('lang:')) await session.changeLocale(key.slice(5) as Locale);
            else if (key === 'tz') setTzOpen(true);
            else if (key === 'sessions') navigate('/account/sessions');
            else if (key === 'tokens') navigate('/account/tokens');
            else if (key === 'signout') {
              await session.signOut();
              navigate('/signin');
            }
          },
        }}
      >
        <Button type="text" icon={<UserOutlined aria-hidden />} aria-label={`${name} · ${t('shell.profile')}`}>
          <span className="t-user-name">{name}</span> <DownOutlined aria-hidden />
        </Button>
      </Dropdown>
      {tzOpen && <TimeZoneDialog open onClose={() => setTzOpen(false)} />}
    </>
  );
}

/** usePendingApprovals is the user's 待我审批 box (the header badge and home). */
export function usePendingApprovals() {
  return useQuery({
    queryKey: ['inbox', 'pending', 'badge'],
    queryFn: async () => (await approvals.inbox('pending', undefined, 100)).items ?? [],
    refetchInterval: 60_000,
    staleTime: 30_000,
  });
}

function ApprovalsBadge() {
  const { t } = useTranslation();
  const n = usePendingApprovals().data?.length ?? 0;
  return (
    <Link to="/approvals">
      <span className="t-sr">{`${t('inbox.title')} (${t('inbox.pending')}: ${n})`}</span>
      <Badge count={n} overflowCount={99} size="small" aria-hidden>
        <AuditOutlined style={{ fontSize: 18, padding: 4 }} aria-hidden />
      </Badge>
    </Link>
  );
}

function Bell() {
  const { t } = useTranslation();
  const unread = useUnread();
  const n = unread.data?.length ?? 0;
  return (
    <Link to="/notifications">
      {/* The name is this text, not an aria-label the badge's visible number would contradict. */}
      <span className="t-sr">{`${t('notifications.title')} (${t('notifications.unreadCount', { count: n })})`}</span>
      <Badge count={n} overflowCount={99} size="small" aria-hidden>
        <BellOutlined style={{ fontSize: 18, padding: 4 }} aria-hidden />
      </Badge>
    </Link>
  );
}

export function Shell() {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const mobile = screens.md === false;
  const [drawer, setDrawer] = useState(false);
  const [collapsed, setCollapsed] = useState(false);
  const loc = useLocation();
  useEffect(() => setDrawer(false), [loc.pathname]);
  return (
    <Layout style={{ minHeight: '100%' }}>
      <a href="#main" className="t-skip">{t('shell.skip')}</a>
      {!mobile && (
        <Layout.Sider theme="light" collapsible collapsed={collapsed} onCollapse={setCollapsed} width={216}
          style={{ borderInlineEnd: '1px solid rgba(5,5,5,0.06)' }}>
          <div style={{ padding: '16px 20px', whiteSpace: 'nowrap', overflow: 'hidden' }}>
            <Link to="/" className="t-brand">{collapsed ? 'T' : t('app.name')}</Link>
          </div>
          <NavMenu />
        </Layout.Sider>
      )}
      <Layout>
        <Layout.Header className="t-header" style={{ background: '#fff', borderBottom: '1px solid rgba(5,5,5,0.06)', height: 56, lineHeight: 'normal' }}>
          {mobile && (
            <Button type="text" icon={<MenuOutlined />} aria-label={t('shell.menu')} onClick={() => setDrawer(true)} />
          )}
          <AppSwitcher />
          <div className="t-grow" style={{ display: 'flex', minWidth: 0 }}>{!mobile && <AppSearch />}</div>
          <Space size={mobile ? 4 : 12}>
            <ApprovalsBadge />
            <Bell />
            <UserMenu />
          </Space>
        </Layout.Header>
        <Layout.Content id="main" tabIndex={-1} style={{ outline: 'none' }}>
          <Suspense fallback={<div className="t-page"><Skeleton active /></div>}>
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
      {mobile && (
        <Drawer open={drawer} onClose={() => setDrawer(false)} placement="left" size={260} title={t('app.name')}
          styles={{ body: { padding: 0 } }}>
          <div style={{ padding: 12 }}><AppSearch /></div>
          <NavMenu onNavigate={() => setDrawer(false)} />
        </Drawer>
      )}
    </Layout>
  );
}
