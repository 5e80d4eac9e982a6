// The app: providers, the router (deep links under /app/), and the guard
// that sends an unauthenticated deep link through sign-in and back.
import { App as AntApp, ConfigProvider, Spin, theme } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { lazy, useEffect, useMemo, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation, useNavigate, useParams } from 'react-router';
import { ApiError } from './api/http';
import { RenderContext } from './render/context';
import { cspNonce } from './csp';
import { dayjs } from './render/format';
import { SessionProvider, useSession } from './features/session';
import { SessionExpiredDialog, SignInPage } from './features/shell/SignIn';
import { Shell } from './features/shell/Shell';
// Pages load on first use: the first paint needs only the shell and sign-in.
const HomePage = lazy(() => import('./features/home/HomePage').then((m) => ({ default: m.HomePage })));
const NotificationsPage = lazy(() => import('./features/notifications/NotificationsPage').then((m) => ({ default: m.NotificationsPage })));
const SessionsPage = lazy(() => import('./features/account/AccountPages').then((m) => ({ default: m.SessionsPage })));
const TokensPage = lazy(() => import('./features/account/AccountPages').then((m) => ({ default: m.TokensPage })));
const ListPage = lazy(() => import('./features/list/ListPage').then((m) => ({ default: m.ListPage })));
const RecordPage = lazy(() => import('./features/record/RecordPage').then((m) => ({ default: m.RecordPage })));
const BoardPage = lazy(() => import('./features/board/BoardPage').then((m) => ({ default: m.BoardPage })));
const InboxPage = lazy(() => import('./features/approvals/InboxPage').then((m) => ({ default: m.InboxPage })));
const NewRecordPage = lazy(() => import('./features/record/NewRecordPage').then((m) => ({ default: m.NewRecordPage })));
import { AppIndex } from './features/shell/AppIndex';
import { moduleQuery, services } from './features/data';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not get better by asking again.
      retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 2,
      refetchOnWindowFocus: false,
    },
  },
});

function Providers({ children }: { children: ReactNode }) {
  const { locale } = useSession();
  const nonce = useMemo(cspNonce, []);
  useEffect(() => {
    dayjs.locale(locale === 'zh-CN' ? 'zh-cn' : 'en');
    document.documentElement.lang = locale;
  }, [locale]);
  return (
    <ConfigProvider
      locale={locale === 'zh-CN' ? zhCN : enUS}
      csp={nonce ? { nonce } : undefined}
      theme={{
        algorithm: theme.defaultAlgorithm,
        // Darker than antd's defaults so text meets WCAG AA contrast (4.5:1).
        token: { colorPrimary: '#0958d9', colorError: '#cf1322', colorLink: '#0958d9', colorTextSecondary: 'rgba(0,0,0,0.65)', colorTextDescription: 'rgba(0,0,0,0.65)', colorTextTertiary: 'rgba(0,0,0,0.62)', colorTextPlaceholder: 'rgba(0,0,0,0.55)' },
      }}
    >
      <AntApp>{children}</AntApp>
    </ConfigProvider>
  );
}

/** RequireUser sends visitors to sign-in with the deep link to come back to. */
function RequireUser() {
  const session = useSession();
  const loc = useLocation();
  if (session.loading) return <Spin fullscreen />;
  if (!session.user) {
    const next = loc.pathname + loc.search;
    return <Navigate to={`/signin?next=${encodeURIComponent(next)}`} replace />;
  }
  return <Outlet />;
}

/** AppScope gives the renderer this app's server connection. */
function AppScope() {
  const { app = '' } = useParams();
  const qc = useQueryClient();
  const { locale, timeZone } = useSession();
  const svc = useMemo(
    () => services(app, { locale, timeZone, currency: 'CNY' }, (key) => qc.fetchQuery(moduleQuery(app, key))),
    [app, locale, timeZone, qc],
  );
  return (
    <RenderContext.Provider value={svc}>
      <Outlet />
    </RenderContext.Provider>
  );
}

/** In-app links of the renderer (plain anchors) navigate through the router. */
function LinkBridge() {
  const navigate = useNavigate();
  useEffect(() => {
    const on = (e: Event) => {
      const href = (e as CustomEvent<string>).detail;
      navigate(href.startsWith('/app/') ? href.slice(4) : href);
    };
    window.addEventListener('tessera:navigate', on);
    return () => window.removeEventListener('tessera:navigate', on);
  }, [navigate]);
  return null;
}

export function Root() {
  return (
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <Providers>
          <BrowserRouter basename="/app">
            <LinkBridge />
            <SessionExpiredDialog />
            <Routes>
              <Route path="/signin" element={<SignInPage />} />
              <Route element={<RequireUser />}>
                <Route element={<Shell />}>
                  <Route index element={<HomePage />} />
                  <Route path="notifications" element={<NotificationsPage />} />
                  <Route path="approvals" element={<InboxPage />} />
                  <Route path="account/sessions" element={<SessionsPage />} />
                  <Route path="account/tokens" element={<TokensPage />} />
                  <Route path=":app" element={<AppScope />}>
                    <Route index element={<AppIndex />} />
                    <Route path=":module" element={<ListPage />} />
                    <Route path=":module/new" element={<NewRecordPage />} />
                    <Route path=":module/board/:flow" element={<BoardPage />} />
                    <Route path=":module/:id" element={<RecordPage />} />
                  </Route>
                </Route>
              </Route>
              <Route path="*" element={<Navigate to="/" replace />} />
            </Routes>
          </BrowserRouter>
        </Providers>
      </SessionProvider>
    </QueryClientProvider>
  );
}
