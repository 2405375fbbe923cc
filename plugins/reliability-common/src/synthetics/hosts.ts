/**
 * Whether a host may be called: an exact name, or `*.example.com` for its subdomains (not the apex), compared without
 * case; IPv6 literals in brackets compare as written. @public
 */
export function hostAllowed(
  host: string,
  allowlist: readonly string[],
): boolean {
  const h = host.toLocaleLowerCase('en-US').replace(/\.$/, '');
  return allowlist.some(entry => {
    const e = entry.toLocaleLowerCase('en-US');
    return e.startsWith('*.')
      ? h.endsWith(e.slice(1)) && h.length > e.length - 1
      : h === e;
  });
}
