// Style elements created by this page's scripts get the page's CSP nonce.
// Ant Design passes the nonce to its CSS-in-JS (ConfigProvider csp), but a
// few helpers underneath (scroll locking, scrollbar measuring) create
// style elements without it. Only scripts can call createElement, and the
// policy allows no inline or foreign script, so this grants nothing to
// injected markup: a <style> smuggled in as HTML is still refused.
export function cspNonce(): string | undefined {
  const m = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]');
  const n = m?.nonce || m?.getAttribute('nonce') || '';
  return n && n !== '__CSP_NONCE__' ? n : undefined;
}

export function nonceStyles(): void {
  const nonce = cspNonce();
  if (!nonce) return;
  const create = document.createElement.bind(document);
  document.createElement = ((tag: string, opts?: ElementCreationOptions) => {
    const el = create(tag, opts);
    if (tag.toLowerCase() === 'style') (el as HTMLStyleElement).nonce = nonce;
    return el;
  }) as typeof document.createElement;
}

nonceStyles();
