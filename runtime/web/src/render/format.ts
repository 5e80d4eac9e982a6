// Values shown by locale: thousands separators, money with its currency and
// two decimals, signed percentages, dates as 2026-03-31, times in the
// user's time zone, relative times for timelines.
import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc';
import timezone from 'dayjs/plugin/timezone';
import relativeTime from 'dayjs/plugin/relativeTime';
import 'dayjs/locale/zh-cn';
import 'dayjs/locale/en';
import type { Field } from './schema';

dayjs.extend(utc);
dayjs.extend(timezone);
dayjs.extend(relativeTime);

export interface FormatContext {
  locale: string; // zh-CN | en
  timeZone: string; // IANA
  currency: string; // ISO 4217, for currency fields
}

export const defaultFormat: FormatContext = { locale: 'zh-CN', timeZone: 'Asia/Shanghai', currency: 'CNY' };

function nf(ctx: FormatContext, opts: Intl.NumberFormatOptions): Intl.NumberFormat {
  return new Intl.NumberFormat(ctx.locale, opts);
}

export function formatNumber(ctx: FormatContext, n: number, f?: Field): string {
  switch (f?.type) {
    case 'currency':
      return nf(ctx, { style: 'currency', currency: ctx.currency, minimumFractionDigits: 2, maximumFractionDigits: Math.max(2, f.scale ?? 2) }).format(n);
    case 'percent':
      // Stored as a fraction (0.25 = 25 %), shown with the sign when negative.
      return nf(ctx, { style: 'percent', maximumFractionDigits: Math.max(0, (f.scale ?? 4) - 2), signDisplay: 'auto' }).format(n);
    case 'integer':
      return nf(ctx, { maximumFractionDigits: 0 }).format(n);
    case 'decimal':
      return nf(ctx, { minimumFractionDigits: 0, maximumFractionDigits: f.scale ?? 2 }).format(n);
    default:
      return nf(ctx, { maximumFractionDigits: 6 }).format(n);
  }
}

export function formatDate(s: string): string {
  return /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : s;
}

export function formatDateTime(ctx: FormatContext, s: string): string {
  const d = dayjs(s);
  if (!d.isValid()) return s;
  return d.tz(ctx.timeZone).format('YYYY-MM-DD HH:mm');
}

export function relative(ctx: FormatContext, s: string): string {
  const d = dayjs(s);
  if (!d.isValid()) return s;
  return d.locale(ctx.locale === 'zh-CN' ? 'zh-cn' : 'en').fromNow();
}

export { dayjs };
