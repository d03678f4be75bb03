// The sign-in page. Both methods are full-page navigations to Relay's /auth routes,
// which set the HttpOnly session cookie and redirect back to `next`: the path the user
// was opening, so a deep link survives signing in.

import { useEffect, useState } from 'preact/hooks';
import { signInMethods } from '../api';

export function SignIn() {
  const [methods, setMethods] = useState<{ dev: boolean; github: boolean } | null>(null);
  useEffect(() => { signInMethods().then(setMethods); }, []);
  const next = location.pathname + location.search;

  return (
    <main class="center-page signin">
      <h1>Relay</h1>
      <p>Sign in to chat with your team.</p>
      {methods === null && <p aria-busy="true">…</p>}
      {methods?.github && (
        <a class="button primary" href={`/auth/github?next=${encodeURIComponent(next)}`}>Sign in with GitHub</a>
      )}
      {methods?.dev && (
        <form class="dev-signin" method="get" action="/auth/dev">
          <label for="dev-login">Login name (dev sign-in)</label>
          <input id="dev-login" name="login" required maxLength={39} pattern="[A-Za-z0-9_\-]{1,39}"
                 autoComplete="username" autoFocus />
          <input type="hidden" name="next" value={next} />
          <button type="submit" class="primary">Sign in</button>
        </form>
      )}
      {methods && !methods.dev && !methods.github && (
        <p role="alert">This Relay has no sign-in method configured (OAuth or dev sign-in).</p>
      )}
    </main>
  );
}
