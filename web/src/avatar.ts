// Which avatar URLs the client loads as images (docs/web.md, "Avatars"). An avatar URL is
// someone else's text (a room owner's branding, an OAuth profile): only a path of this
// origin or an http(s) URL is a candidate, and of those only what the page's CSP img-src
// allows is loaded, so a host Relay does not allow shows initials without a request and
// without a CSP refusal in the console. Everything else is initials too.

/**
 * The rule Relay's PATCH /api/rooms/:slug applies to `avatarUrl` (protocol/room_codec.cpp),
 * as the message the settings form shows; null when `v` is acceptable ("" clears it).
 */
export function avatarUrlProblem(v: string): string | null {
  if (v === '') return null;
  if (v.length > 2048) return 'At most 2048 characters.';
  if (/[\u0000-\u0020\u007f\\]/.test(v)) return 'No spaces, control characters or backslashes.';
  if (/^https?:\/\/[^/]/.test(v)) return null;
  // `//host` is another host to a browser, not a path.
  if (v.startsWith('/') && !v.startsWith('//')) return null;
  return 'A path on this server (starting with one /) or an http:// or https:// URL.';
}

/** `url` as an absolute http(s) URL an <img> may try, or null. */
function candidate(url: string | null | undefined): URL | null {
  if (!url || avatarUrlProblem(url) !== null) return null;
  try {
    const u = new URL(url, location.origin);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}

type Policy = (u: URL) => boolean;

// One source of a CSP source list against an image URL. Only the forms a policy for this
// client uses are understood ('self', *, a scheme, an origin); any other (a path, a
// wildcard host) matches nothing, so the answer errs towards initials.
function sourceAllows(source: string, u: URL): boolean {
  if (source === "'self'") return u.origin === location.origin;
  if (source === '*') return true;
  if (source === 'https:') return u.protocol === 'https:';
  if (source === 'http:') return true; // also https: (CSP's secure upgrade)
  const m = /^(https?):\/\/([a-z0-9.-]+)(?::(\d+))?\/?$/.exec(source);
  if (!m) return false;
  const [, scheme, host, port] = m;
  const defaultPort = u.protocol === 'https:' ? '443' : '80';
  return (u.protocol === `${scheme!}:` || (scheme === 'http' && u.protocol === 'https:'))
    && u.hostname === host && (u.port || defaultPort) === (port ?? defaultPort);
}

/** The img-src of a Content-Security-Policy header (several policies: each must allow). */
export function imagePolicy(header: string | null): Policy {
  if (!header) return () => true;
  const lists = header.split(',').map((policy) => {
    const directives = new Map<string, string[]>();
    for (const d of policy.split(';')) {
      const [name, ...sources] = d.trim().toLowerCase().split(/\s+/);
      if (name && !directives.has(name)) directives.set(name, sources);
    }
    return directives.get('img-src') ?? directives.get('default-src') ?? null;
  });
  return (u) => lists.every((sources) => sources === null || sources.some((s) => sourceAllows(s, u)));
}

let policy: Policy | null = null;
let asking: Promise<unknown> | null = null;
const failed = new Set<string>();

// The page's own response headers are not readable from script; `/` answers with the
// same ones (whoever sets them: Relay, or a proxy in front of it), so a HEAD of it tells.
// Asked once, when the first avatar from another origin is drawn.
export function whenPolicyKnown(): Promise<unknown> {
  asking ??= fetch('/', { method: 'HEAD', credentials: 'same-origin' })
    .then((res) => { policy = imagePolicy(res.headers.get('content-security-policy')); })
    .catch(() => { policy = () => false; });
  return asking;
}

/**
 * What an avatar <img> loads for `url`: its absolute URL, `null` for initials, or
 * `undefined` until the page's policy is known (`whenPolicyKnown`).
 */
export function avatarSrc(url: string | null | undefined): string | null | undefined {
  const u = candidate(url);
  if (!u || failed.has(u.href)) return null;
  // Same origin: 'self' is in every policy Relay serves the client with.
  if (u.origin === location.origin) return u.href;
  if (!policy) return undefined;
  return policy(u) ? u.href : null;
}

/** An image that did not load (404, not an image, refused): initials from now on. */
export function avatarFailed(src: string): void {
  failed.add(src);
}
