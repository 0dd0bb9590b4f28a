/** WIT `method` and `scheme` values and their spelling on the wire. */

export type Method = { tag: string; val?: string };
export type Scheme = { tag: 'HTTP' } | { tag: 'HTTPS' } | { tag: 'other'; val: string };

/**
 * Method names are case-sensitive (RFC 9110, 9.1): as in Spin (the `http` crate), only the upper-case standard
 * names are the WIT cases; `patch` or `Get` reach the guest as `other`, spelled as sent.
 */
export function methodOf(name: string): Method {
  const standard = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'].includes(name);
  return standard ? { tag: name.toLowerCase() } : { tag: 'other', val: name };
}

export function methodName(method: Method): string {
  return method.tag === 'other' ? (method.val ?? 'GET') : method.tag.toUpperCase();
}

export function schemeOf(protocol: string): Scheme {
  if (protocol === 'http') return { tag: 'HTTP' };
  if (protocol === 'https') return { tag: 'HTTPS' };
  return { tag: 'other', val: protocol };
}

export function schemeName(scheme: Scheme | undefined): string {
  if (!scheme || scheme.tag === 'HTTP') return 'http';
  return scheme.tag === 'HTTPS' ? 'https' : scheme.val;
}
