// A field's value in read mode, by type. Everything is a text node; links
// only for http(s), mailto and tel.
import { Tag, Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useRender } from './context';
import { formatDate, formatDateTime, formatNumber } from './format';
import { mailHref, safeHref, telHref } from './safe';
import { optionLabel, regionPath, treePath, type Field } from './schema';
import { useTranslation } from 'react-i18next';

/** colorOf maps an option colour (a #rgb/#rrggbb value or an antd palette name) to a Tag colour. */
export function colorOf(c?: string): string | undefined {
  if (!c) return undefined;
  if (/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/.test(c)) return c;
  const palette = ['red', 'volcano', 'orange', 'gold', 'yellow', 'lime', 'green', 'cyan', 'blue', 'geekblue', 'purple', 'magenta', 'gray', 'grey'];
  return palette.includes(c) ? c : undefined;
}

// Option tags keep their colour in the background and border, with dark
// text, so every colour meets the contrast the text needs.
export function OptionTag({ field, value, locale }: { field: Field; value: string; locale: string }) {
  const o = field.options.find((o) => o.value === value);
  const c = colorOf(o?.color);
  if (c?.startsWith('#')) {
    return <Tag className="t-opt" style={{ borderColor: c, color: 'rgba(0,0,0,0.88)' }}><span className="t-dot" style={{ background: c, marginInlineEnd: 4 }} aria-hidden />{optionLabel(field, value, locale)}</Tag>;
  }
  return <Tag className="t-opt" color={c} style={{ color: 'rgba(0,0,0,0.88)' }}>{optionLabel(field, value, locale)}</Tag>;
}

function Link({ href, children }: { href?: string; children: ReactNode }) {
  if (!href) return <>{children}</>;
  const external = href.startsWith('http');
  return (
    <a href={href} {...(external ? { target: '_blank', rel: 'noopener noreferrer nofollow' } : {})}>
      {children}
    </a>
  );
}

export function LookupValue({ field, id, title }: { field: Field; id: string; title?: string }) {
  const svc = useRender();
  const q = useQuery({
    queryKey: ['title', svc.app, field.module, id],
    queryFn: async () => (await svc.recordTitles(field.module!, [id]))[0]?.title ?? id,
    enabled: title === undefined && !!field.module,
    staleTime: 60_000,
  });
  const text = title ?? q.data ?? '…';
  const href = field.module && svc.recordHref ? svc.recordHref(field.module, id) : undefined;
  return href ? <a href={href} onClick={(e) => navigateInApp(e, href)}>{text}</a> : <>{text}</>;
}

export function PersonValue({ id, name }: { id: string; name?: string }) {
  const svc = useRender();
  const q = useQuery({
    queryKey: ['person', id],
    queryFn: async () => (await svc.people([id]))[0]?.name ?? id,
    enabled: name === undefined,
    staleTime: 300_000,
  });
  return <>{name ?? q.data ?? '…'}</>;
}

// In-app links are plain anchors (keyboard, middle-click); a plain click
// goes through the router via this event, which the app listens for.
export function navigateInApp(e: React.MouseEvent, href: string) {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  window.dispatchEvent(new CustomEvent('tessera:navigate', { detail: href }));
}

export interface ValueProps {
  field: Field;
  value: unknown;
  /** the record's expand entry for lookups and user fields */
  expanded?: Record<string, unknown> | null;
  /** the looked-up record's title, when the caller knows it */
  title?: string;
}

export function FieldValue({ field, value, expanded, title }: ValueProps) {
  const svc = useRender();
  const { t } = useTranslation();
  const ctx = svc.format;
  if (value === null || value === undefined || value === '') return <Typography.Text type="secondary">—</Typography.Text>;
  switch (field.type) {
    case 'boolean':
      return <>{value ? t('field.yes') : t('field.no')}</>;
    case 'select':
      return <OptionTag field={field} value={String(value)} locale={ctx.locale} />;
    case 'multiselect':
      return (
        <>
          {(Array.isArray(value) ? value : []).map((v) => (
            <OptionTag key={String(v)} field={field} value={String(v)} locale={ctx.locale} />
          ))}
        </>
      );
    case 'number': case 'integer': case 'decimal': case 'currency': case 'percent': case 'rollup':
      return <span className="t-num">{typeof value === 'number' ? formatNumber(ctx, value, field) : String(value)}</span>;
    case 'formula':
      if (typeof value === 'number') return <span className="t-num">{formatNumber(ctx, value, { ...field, type: field.result === 'integer' ? 'integer' : field.result === 'decimal' ? 'decimal' : 'number' })}</span>;
      if (typeof value === 'boolean') return <>{value ? t('field.yes') : t('field.no')}</>;
      if (field.result === 'datetime') return <>{formatDateTime(ctx, String(value))}</>;
      return <>{String(value)}</>;
    case 'date':
      return <>{formatDate(String(value))}</>;
    case 'datetime':
      return <>{formatDateTime(ctx, String(value))}</>;
    case 'url':
      return <Link href={safeHref(String(value))}><span className="t-wrap">{String(value)}</span></Link>;
    case 'email':
      return <Link href={mailHref(String(value))}><span className="t-wrap">{String(value)}</span></Link>;
    case 'phone':
      return <Link href={telHref(String(value))}>{String(value)}</Link>;
    case 'lookup':
      return <LookupValue field={field} id={String(value)} title={title ?? titleOf(expanded)} />;
    case 'user':
      return <PersonValue id={String(value)} name={typeof expanded?.name === 'string' ? expanded.name : undefined} />;
    case 'json':
      return <code className="t-wrap">{JSON.stringify(value)}</code>;
    case 'tree':
      return <span className="t-wrap">{treePath(field, String(value), ctx.locale)}</span>;
    case 'region':
      return <RegionValue level={field.level || 'city'} code={String(value)} />;
    case 'textarea':
      return <span className="t-wrap t-pre">{String(value)}</span>;
    default:
      return <span className="t-wrap">{String(value)}</span>;
  }
}

function titleOf(ex?: Record<string, unknown> | null): string | undefined {
  if (!ex) return undefined;
  const t = ex.__title;
  return typeof t === 'string' ? t : undefined;
}

// RegionValue names a division by its path, "广东省 › 深圳市" (the code until
// the list has loaded, or when it is not in it).
function RegionValue({ level, code }: { level: string; code: string }) {
  const svc = useRender();
  const tree = useQuery({ queryKey: ['regions', level], queryFn: () => svc.regions?.(level) ?? Promise.resolve([]), staleTime: Infinity });
  const path = regionPath(tree.data, code);
  return <span className="t-wrap">{path.length ? path.map((n) => n.name).join(' › ') : code}</span>;
}
