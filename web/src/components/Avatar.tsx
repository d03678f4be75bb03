// Initials on a colour derived from the login. Remote avatar images are not loaded:
// the Content-Security-Policy Relay serves the client with allows only its own origin.

import type { User } from '../types';

function hue(s: string): number {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % 360;
}

export function Avatar({ user, size = 36 }: { user: Pick<User, 'login' | 'name'>; size?: number }) {
  const label = (user.name || user.login).trim();
  const initials = label.split(/\s+/).slice(0, 2).map((w) => [...w][0] ?? '').join('').toUpperCase();
  return (
    <span class="avatar" aria-hidden="true"
          style={{ width: `${size}px`, height: `${size}px`, background: `hsl(${hue(user.login)} 45% 45%)` }}>
      {initials}
    </span>
  );
}
