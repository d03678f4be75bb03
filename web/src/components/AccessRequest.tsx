// What a signed-in user sees at a room that is members only: a way to ask the owner,
// instead of an error. The owner sees the request in their notifications.

import { useState } from 'preact/hooks';
import * as api from '../api';
import { ApiError } from '../api';

export function AccessRequest({ slug }: { slug: string }) {
  const [state, setState] = useState<'idle' | 'sending' | 'sent' | 'pending'>('idle');
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    const note = String(new FormData(e.currentTarget as HTMLFormElement).get('note') ?? '').trim();
    setState('sending');
    setError(null);
    try {
      await api.requestAccess(slug, note);
      setState('sent');
    } catch (err) {
      // 409: a request is already waiting (or the room opened meanwhile).
      if (err instanceof ApiError && err.status === 409) setState('pending');
      else { setState('idle'); setError(err instanceof Error ? err.message : String(err)); }
    }
  };

  if (state === 'sent' || state === 'pending') {
    return <p role="status">{state === 'sent' ? 'Request sent.' : 'You already asked.'} The owner decides; reload this page once they have.</p>;
  }
  return (
    <form class="access-request" onSubmit={submit}>
      <label for="access-note">A note for the owner (optional)</label>
      <input id="access-note" name="note" maxLength={500} />
      <button type="submit" class="primary" disabled={state === 'sending'}>Request access</button>
      {error && <p class="error" role="alert">{error}</p>}
    </form>
  );
}
