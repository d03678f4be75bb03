// Top level: who is signed in decides between the sign-in page and the workspace.

import { useEffect, useState } from 'preact/hooks';
import type { Me } from '../types';
import { SignIn } from './SignIn';
import { Workspace } from './Workspace';

/** `me`: GET /api/me, asked by main.tsx as the page loads. */
export function App({ me: asked }: { me: Promise<Me | null> }) {
  // undefined: still asking; null: signed out.
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    asked.then(setMe, (e: unknown) => setError(e instanceof Error ? e.message : String(e)));
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
