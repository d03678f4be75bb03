// The signed-in user's profile (what GET /api/me says; Relay has no profile edit yet),
// their notifications, and their API tokens. Loaded on demand, like RoomSettings.

import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import { href, navigate } from '../router';
import type { Me } from '../types';
import { Dialog } from './Dialog';
import { ShownOnce } from './ShownOnce';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function Account({ me, onClose }: { me: Me; onClose: () => void }) {
  return (
    <Dialog title="Account" onClose={onClose} class="settings">
      <section class="settings-form" aria-labelledby="profile-h">
        <h3 id="profile-h">Profile</h3>
        <dl class="profile">
          <dt>Login</dt><dd>{me.login}</dd>
          <dt>Name</dt><dd>{me.name || '—'}</dd>
          {me.email && <><dt>Email</dt><dd>{me.email}</dd></>}
          <dt>Signed in with</dt><dd>{me.githubId !== null ? 'GitHub' : 'dev sign-in'}</dd>
        </dl>
      </section>
      <Notifications onClose={onClose} />
      <Tokens />
    </Dialog>
  );
}

function Notifications({ onClose }: { onClose: () => void }) {
  const [items, setItems] = useState<api.Notification[] | null>(null);
  useEffect(() => { api.listNotifications().then(setItems, () => setItems([])); }, []);
  return (
    <section class="settings-form" aria-labelledby="notif-h">
      <h3 id="notif-h">Notifications</h3>
      {items?.length === 0 && <p class="hint">Nothing new.</p>}
      <ul class="rows" aria-label="Notifications">
        {items?.map((n) => {
          const d = n.data as { roomSlug?: string; login?: string; note?: string };
          return (
            <li key={n.id}>
              <span>
                {n.kind === 'access_request' ? `${d.login ?? 'Someone'} asks to enter ${d.roomSlug ?? ''}` : n.kind}
                {d.note && <span class="hint"> “{d.note}”</span>}
              </span>
              {d.roomSlug && (
                <button type="button" onClick={() => { onClose(); navigate(href(d.roomSlug!)); }}>Open room</button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Tokens() {
  const [tokens, setTokens] = useState<api.ApiToken[] | null>(null);
  const [fresh, setFresh] = useState<{ name: string; token: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => { api.listTokens().then(setTokens, (e: unknown) => setError(message(e))); };
  useEffect(load, []);

  const create = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const name = String(new FormData(form).get('name') ?? '').trim();
    setError(null);
    try {
      const t = await api.createToken(name);
      // The secret exists only in this answer: it is kept in this component's state and
      // nowhere else, so closing the dialog forgets it.
      setFresh({ name: t.name, token: t.token });
      form.reset();
      load();
    } catch (err) { setError(message(err)); }
  };
  const revoke = async (t: api.ApiToken) => {
    setError(null);
    try { await api.revokeToken(t.id); load(); } catch (err) { setError(message(err)); }
  };
  const active = tokens?.filter((t) => !t.revokedAt) ?? [];

  return (
    <section class="settings-form" aria-labelledby="tokens-h">
      <h3 id="tokens-h">API tokens</h3>
      <form class="inline" onSubmit={create}>
        <label for="tok-name">Token name</label>
        <input id="tok-name" name="name" maxLength={100} />
        <button type="submit">Create token</button>
      </form>
      {fresh && (
        <ShownOnce id="tok-secret" note="Copy the token now: it is not shown again."
          label={`New token${fresh.name ? ` “${fresh.name}”` : ''}`} value={fresh.token} />
      )}
      {tokens && active.length === 0 && <p class="hint">No tokens.</p>}
      <ul class="rows" aria-label="API tokens">
        {active.map((t) => (
          <li key={t.id}>
            <span><strong>{t.name || 'unnamed'}</strong> <span class="hint">created {dateFmt.format(new Date(t.createdAt))}</span></span>
            <button type="button" aria-label={`Revoke ${t.name || 'unnamed'}`} onClick={() => void revoke(t)}>Revoke</button>
          </li>
        ))}
      </ul>
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  );
}
