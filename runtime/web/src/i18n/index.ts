// The UI's own strings (zh-CN, en). Both catalogs are bundled and i18next is
// initialised synchronously before the first render, so no key is ever
// shown untranslated. The language is the user's stored locale (PATCH
// /api/auth/me), else the one remembered in this browser, else the
// browser's own.
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en';
import zhCN from './zh-CN';

export type Locale = 'zh-CN' | 'en';
export const locales: Locale[] = ['zh-CN', 'en'];
const storageKey = 'tessera.locale';

export function normalizeLocale(l: string | null | undefined): Locale | undefined {
  if (!l) return undefined;
  const s = l.toLowerCase();
  if (s.startsWith('zh')) return 'zh-CN';
  if (s.startsWith('en')) return 'en';
  return undefined;
}

export function initialLocale(): Locale {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(storageKey);
  } catch {
    /* storage may be blocked (in-app browsers) */
  }
  return normalizeLocale(stored) ?? normalizeLocale(typeof navigator !== 'undefined' ? navigator.language : '') ?? 'zh-CN';
}

export const i18n = i18next.createInstance();
i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  lng: initialLocale(),
  fallbackLng: 'en',
  interpolation: { escapeValue: false }, // React escapes; user text is never HTML
  initAsync: false,
  returnNull: false,
});

export function currentLocale(): Locale {
  return normalizeLocale(i18n.language) ?? 'en';
}

export async function setLocale(l: Locale): Promise<void> {
  try {
    localStorage.setItem(storageKey, l);
  } catch {
    /* ignore */
  }
  document.documentElement.lang = l;
  await i18n.changeLanguage(l);
}
