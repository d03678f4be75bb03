// The owner's incoming webhooks (docs/api.md "Incoming webhooks"): pick a channel and a
// name, create, copy the secret URL (shown once: Relay keeps only its hash), list, revoke.
// Part of the room settings dialog, so loaded with it, by owners only.

import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import type { Channel } from '../types';
import { ShownOnce } from './ShownOnce';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const LOBBY = '__lobby';

export function IncomingWebhooks({ slug }: { slug: string }) {
  const [hooks, setHooks] = useState<api.IncomingWebhook[] | null>(null);
  const [channels, setChannels] = useState<Channel[]>([]);
  const [fresh, setFresh] = useState<{ name: string; url: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = () => { api.listIncomingWebhooks(slug).then(setHooks, (e: unknown) => setError(message(e))); };
  useEffect(() => {
    load();
    // A webhook cannot post into a DM: only channels are offered.
    api.listChannels(slug).then((cs) => setChannels(cs.filter((c) => c.visibility !== 'dm')),
      (e: unknown) => setError(message(e)));
  }, [slug]);

  const channelName = (id: string | null) =>
    id === null ? 'Room-wide thread' : `#${channels.find((c) => c.id === id)?.name ?? 'deleted channel'}`;

  const create = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const f = new FormData(form);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    const channel = text('channel');
    const body: { channelId: string | null; name: string; githubSecret?: string } = {
      channelId: channel === LOBBY ? null : channel, name: text('name'),
    };
    if (text('githubSecret')) body.githubSecret = text('githubSecret');
    setError(null);
    try {
      const h = await api.createIncomingWebhook(slug, body);
      // The URL exists only in this answer: kept in this component's state, so closing
      // the dialog forgets it.
      setFresh({ name: h.name, url: h.url });
      form.reset();
      load();
    } catch (err) { setError(message(err)); }
  };
  const revoke = async (h: api.IncomingWebhook) => {
    setError(null);
    try { await api.revokeIncomingWebhook(slug, h.id); load(); } catch (err) { setError(message(err)); }
  };

  return (
    <section class="settings-form" aria-labelledby="inhooks-h">
      <h3 id="inhooks-h">Incoming webhooks</h3>
      <p class="hint">
        A secret URL that posts into a channel as a bot: Slack-compatible
        (<code>{'{"text": "…"}'}</code>), and <code>…/github</code> takes GitHub's webhooks.
      </p>
      <form class="settings-form" onSubmit={create}>
        <label for="ih-channel">Channel</label>
        <select id="ih-channel" name="channel">
          <option value={LOBBY}>Room-wide thread</option>
          {channels.map((c) => <option key={c.id} value={c.id}>#{c.name}</option>)}
        </select>
        <label for="ih-name">Name (shown as the bot)</label>
        <input id="ih-name" name="name" required maxLength={80} />
        <label for="ih-gh">GitHub secret (optional)</label>
        <input id="ih-gh" name="githubSecret" maxLength={256} autoComplete="off" aria-describedby="ih-gh-hint" />
        <span id="ih-gh-hint" class="hint">When set, GitHub deliveries must be signed with it.</span>
        <button type="submit">Create webhook</button>
      </form>
      {fresh && (
        <ShownOnce id="ih-url" note="Copy the URL now: it is not shown again."
          label={`URL of “${fresh.name}”`} value={fresh.url} />
      )}
      {hooks?.length === 0 && <p class="hint">No incoming webhooks.</p>}
      <ul class="rows" aria-label="Incoming webhooks">
        {hooks?.map((h) => (
          <li key={h.id}>
            <span><strong>{h.name}</strong> → {channelName(h.channelId)}{h.githubSecret ? ' · GitHub signed' : ''}</span>
            <button type="button" aria-label={`Revoke ${h.name}`} onClick={() => void revoke(h)}>Revoke</button>
          </li>
        ))}
      </ul>
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  );
}
