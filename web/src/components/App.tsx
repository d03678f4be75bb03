// Top level: who is signed in decides between the sign-in page and the workspace.

import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import type { Me } from '../types';
import { SignIn } from './SignIn';
import { Workspace } from './Workspace';

export function App() {
  // undefined: still asking; null: signed out.
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.getMe().then(setMe, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);

  if (error) {
    return (
      <main class="center-page">
        <p role="alert">Relay cannot be reached: {error}</p>
        <button type="button" onClick={() => location.reload()}>Try again</button>
      </main>
    );
  }
  if (me === undefined) return <main class="center-page" aria-busy="true">Loading…</main>;
  if (me === null) return <SignIn />;
  return <Workspace me={me} onSignedOut={() => setMe(null)} />;
}
