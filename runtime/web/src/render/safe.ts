// User text is text: values and labels are rendered as React text nodes
// (never as HTML), and a value becomes a link only for these schemes.
const allowed = ['http:', 'https:', 'mailto:', 'tel:'];

/** safeHref is href when it is an absolute http(s), mailto or tel URL, else undefined. */
export function safeHref(href: string): string | undefined {
  let u: URL;
  try {
    u = new URL(href.trim());
  } catch {
    return undefined;
  }
  return allowed.includes(u.protocol) ? u.href : undefined;
}

/** telHref makes a tel: link of a phone number made of digits, spaces, dashes and a leading +. */
export function telHref(phone: string): string | undefined {
  const p = phone.trim();
  if (!/^\+?[0-9][0-9 ()-]{2,30}$/.test(p)) return undefined;
  return safeHref('tel:' + p.replace(/[ ()]/g, ''));
}

/** mailHref makes a mailto: link of something that looks like one address. */
export function mailHref(addr: string): string | undefined {
  const a = addr.trim();
  if (!/^[^\s@<>"'`,;:]+@[^\s@<>"'`,;:]+$/.test(a)) return undefined;
  return safeHref('mailto:' + a);
}
