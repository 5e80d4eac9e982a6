// The signed-in user: loaded once from GET /api/auth/me; language and time
// zone changes are stored on the user (PATCH /api/auth/me). When the
// session ends while a page is open (any 401), a sign-in dialog opens over
// the page: nothing on it — a half-filled form included — is lost, and the
// failed action can simply be retried.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, data, type User } from '../api/client';
import { ApiError, onSessionExpired, request } from '../api/http';
import { currentLocale, normalizeLocale, setLocale, type Locale } from '../i18n';

export interface Session {
  user?: User;
  loading: boolean;
  locale: Locale;
  timeZone: string;
  expired: boolean;
  signIn(email: string, password: string): Promise<User>;
  signOut(): Promise<void>;
  changeLocale(l: Locale): Promise<void>;
  changeTimeZone(tz: string): Promise<void>;
}

const Ctx = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'Asia/Shanghai';

export function SessionProvider({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const [expired, setExpired] = useState(false);
  const [locale, setLoc] = useState<Locale>(currentLocale());
  const me = useQuery({
    queryKey: ['me'],
    queryFn: async () => {
      try {
        return await data(api.GET('/api/auth/me'));
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return null;
        throw e;
      }
    },
    staleTime: Infinity,
    retry: 1,
  });
  const user = me.data ?? undefined;

  // The user's stored language wins over this browser's.
  useEffect(() => {
    const l = normalizeLocale(user?.locale);
    if (l && l !== currentLocale()) {
      setLocale(l).then(() => setLoc(l));
    }
  }, [user?.locale]);

  // A 401 ends a session only while someone is signed in: one answering a
  // request still under way when the user signed out is not news.
  const signedIn = useRef(false);
  signedIn.current = !!user;
  useEffect(() => onSessionExpired(() => { if (signedIn.current) setExpired(true); }), []);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const r = await request<{ user: User }>('POST', '/api/auth/login', { body: { email, password } });
      const wasExpired = expired;
      qc.setQueryData(['me'], r.user);
      setExpired(false);
      if (wasExpired) {
        // Another user may have signed in: drop what the old session read.
        qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
      }
      return r.user;
    },
    [qc, expired],
  );

  const signOut = useCallback(async () => {
    try {
      await request('POST', '/api/auth/logout');
    } catch {
      /* already signed out */
    }
    // "me" is set, not removed: removing it would leave its observer
    // showing the old user (and sign-in would send them straight back).
    signedIn.current = false;
    qc.setQueryData(['me'], null);
    qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
    setExpired(false);
  }, [qc]);

  const changeLocale = useCallback(
    async (l: Locale) => {
      await setLocale(l);
      setLoc(l);
      if (user) {
        const u = await data(api.PATCH('/api/auth/me', { body: { locale: l } }));
        qc.setQueryData(['me'], u);
      }
      // Server messages (and option lists rendered from them) follow the language.
      qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
    },
    [qc, user],
  );

  const changeTimeZone = useCallback(
    async (tz: string) => {
      const u = await data(api.PATCH('/api/auth/me', { body: { time_zone: tz } }));
      qc.setQueryData(['me'], u);
    },
    [qc],
  );

  const value = useMemo<Session>(
    () => ({
      user,
      loading: me.isLoading,
      locale,
      timeZone: user?.time_zone || browserZone(),
      expired,
      signIn,
      signOut,
      changeLocale,
      changeTimeZone,
    }),
    [user, me.isLoading, locale, expired, signIn, signOut, changeLocale, changeTimeZone],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
