// The built-in AI assistant in the room settings (docs/agents.md "The built-in AI bot"):
// whether it answers in this room (a bot of the room bound to the agent `relay-bot`) and,
// when not, one form to enable it under a login and name the owner picks. The model
// (URL, name, key) is the operator's setting (`--ai-url` …), not the room's: a server
// without it has no `relay-bot` agent, and binding answers 404, shown as "not available".

import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const AGENT = 'relay-bot';

// Logins are unique across the server, so the suggestion carries the room's slug.
const suggestedLogin = (slug: string) => `ai-${slug}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 39);

export function RelayBot({ slug, onChange }: { slug: string; onChange: () => void }) {
  const [bots, setBots] = useState<api.Bot[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () => { api.listBotsFull(slug).then(setBots, (e: unknown) => setError(message(e))); };
  useEffect(load, [slug]);
  const bound = bots?.find((b) => b.agentId === AGENT);

  const enable = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    setError(null);
    setBusy(true);
    try {
      await api.createBot(slug, { login: text('login'), name: text('name') || 'Relay bot', agentId: AGENT });
      load();
      onChange();
    } catch (err) {
      if (err instanceof api.ApiError && err.status === 404)
        setError('The AI assistant is not available on this server: its operator has not configured a model (ai_url).');
      else if (err instanceof api.ApiError && err.status === 409)
        setError(`That login is taken: pick another. (${err.message})`);
      else setError(message(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="settings-form" aria-labelledby="relaybot-h">
      <h3 id="relaybot-h">AI assistant</h3>
      {bots === null && !error && <p>Loading…</p>}
      {bound && (
        <p role="status">
          Enabled as <strong>@{bound.login}</strong> ({bound.name}): mention @{bound.login} in any
          channel to ask it. It answers with the server's model and can use Relay's tools as
          that user.
        </p>
      )}
      {bots !== null && !bound && (
        <form class="settings-form" onSubmit={enable} aria-label="Enable the AI assistant">
          <p>Answers @mentions with the model this server is configured with, streaming its reply into the channel.</p>
          <label for="relaybot-login">Its login</label>
          <input id="relaybot-login" name="login" required pattern="[A-Za-z0-9_\-]{1,39}" value={suggestedLogin(slug)} />
          <label for="relaybot-name">Its name</label>
          <input id="relaybot-name" name="name" maxLength={80} value="Relay bot" />
          <button type="submit" disabled={busy}>Enable AI assistant</button>
        </form>
      )}
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  );
}
