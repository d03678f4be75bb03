// A user's or a room's avatar: the image its avatarUrl names when the page may load it
// (avatar.ts decides), else initials on a colour derived from the login or slug; also
// when the image fails to load. The URL reaches the DOM only as the <img>'s src property.

import { useEffect, useState } from 'preact/hooks';
import { avatarFailed, avatarSrc, whenPolicyKnown } from '../avatar';

/** Whose avatar: a user, or a room as `{login: slug, name: displayName, avatarUrl}`. */
export interface Face {
  login: string;
  name: string;
  avatarUrl?: string | null | undefined;
}

/** A room's avatar: its image, else the initials of its name on its slug's colour. */
export const roomFace = (r: { slug: string; displayName: string; avatarUrl?: string | undefined }): Face =>
  ({ login: r.slug, name: r.displayName || r.slug, avatarUrl: r.avatarUrl });

function hue(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % 360;
}

export function Avatar({ user, size = 36 }: { user: Face; size?: number }) {
  const [, redraw] = useState(0);
  const src = avatarSrc(user.avatarUrl);
  useEffect(() => {
    if (src !== undefined) return;
    let live = true;
    void whenPolicyKnown().then(() => { if (live) redraw((n) => n + 1); });
    return () => { live = false; };
  }, [src]);

  if (src) {
    return (
      <img class="avatar" src={src} alt="" width={size} height={size} decoding="async"
           onError={() => { avatarFailed(src); redraw((n) => n + 1); }} />
    );
  }
  const label = (user.name || user.login).trim();
  const words = label.split(/\s+/).slice(0, size < 24 ? 1 : 2);
  const initials = words.map((w) => [...w][0] ?? '').join('').toUpperCase();
  return (
    <span class="avatar" aria-hidden="true"
          style={{ width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.36)}px`,
                   background: `hsl(${hue(user.login)} 45% 45%)` }}>
      {initials}
    </span>
  );
}
