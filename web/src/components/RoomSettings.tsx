// The owner's room settings: branding (PATCH, which every member sees live through the
// `branding` frame), who may enter (whitelist mode, entries, pending requests), the AI
// assistant (RelayBot.tsx), bots and incoming webhooks (IncomingWebhooks.tsx) and outbound webhooks (Webhooks.tsx).
// Loaded on demand (a dynamic import from Workspace): members never download it.

import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import { avatarUrlProblem } from '../avatar';
import { href, navigate } from '../router';
import type { Room } from '../types';
import { Dialog } from './Dialog';
import { IncomingWebhooks } from './IncomingWebhooks';
import { RelayBot } from './RelayBot';
import { Webhooks } from './Webhooks';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function RoomSettings({ room, onClose }: { room: Room; onClose: () => void }) {
  // Enabling the AI assistant adds a bot: the bots list reloads.
  const [botsVersion, setBotsVersion] = useState(0);
  return (
    <Dialog title={`Settings of ${room.displayName}`} onClose={onClose} class="settings">
      <BrandingForm room={room} />
      <Access room={room} />
      <RelayBot slug={room.slug} onChange={() => setBotsVersion((v) => v + 1)} />
      <Bots slug={room.slug} version={botsVersion} />
      <IncomingWebhooks slug={room.slug} />
      <Webhooks slug={room.slug} />
    </Dialog>
  );
}

function BrandingForm({ room }: { room: Room }) {
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [avatarProblem, setAvatarProblem] = useState<string | null>(null);
  // Relay's rule, checked as the owner types: the browser then keeps the form from being
  // sent and says why, next to the field.
  const checkAvatar = (input: HTMLInputElement) => {
    const problem = avatarUrlProblem(input.value.trim());
    input.setCustomValidity(problem ?? '');
    setAvatarProblem(problem);
  };
  // What the colour inputs start at: the room's colours, else the theme's (theme.css).
  const [a1, a2] = room.accentColors.map((c) => c.toLowerCase());
  const shown1 = a1 ?? '#3b5bdb';
  const shown2 = a2 ?? a1 ?? '#5c7cfa';
  const save = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    const patch: api.Branding = {
      displayName: text('displayName'),
      description: text('description'),
      avatarUrl: text('avatarUrl'),
    };
    // A colour input always has a value: the colours are sent only when one was changed,
    // so saving a name does not pin the theme's default colours on the room.
    const colours = [text('accent1'), text('accent2')];
    if (colours[0] !== shown1 || colours[1] !== shown2) patch.accentColors = colours;
    if (text('slug') !== room.slug) patch.slug = text('slug');
    try {
      const updated = await api.patchRoom(room.slug, patch);
      setStatus({ ok: true, text: 'Saved.' });
      // A new slug is a new address: the session follows it (its socket is per slug).
      if (updated.slug !== room.slug) navigate(href(updated.slug), true);
    } catch (err) {
      setStatus({ ok: false, text: message(err) });
    }
  };
  return (
    <form class="settings-form" onSubmit={save} aria-labelledby="branding-h">
      <h3 id="branding-h">Branding</h3>
      <label for="rs-slug">Address (slug)</label>
      <input id="rs-slug" name="slug" defaultValue={room.slug} required pattern="[a-z0-9_\-]{1,64}"
             aria-describedby="rs-slug-hint" />
      <span id="rs-slug-hint" class="hint">a–z, 0–9, - and _; changing it changes the room's links</span>
      <label for="rs-name">Display name</label>
      <input id="rs-name" name="displayName" defaultValue={room.displayName} required maxLength={100} />
      <label for="rs-desc">Description</label>
      <textarea id="rs-desc" name="description" defaultValue={room.description} rows={2} />
      <div class="row">
        <span>
          <label for="rs-a1">Accent colour</label>
          <input id="rs-a1" name="accent1" type="color" defaultValue={shown1} />
        </span>
        <span>
          <label for="rs-a2">Second colour</label>
          <input id="rs-a2" name="accent2" type="color" defaultValue={shown2} />
        </span>
      </div>
      <label for="rs-avatar">Avatar</label>
      <input id="rs-avatar" name="avatarUrl" defaultValue={room.avatarUrl} maxLength={2048}
             placeholder="/relay.png or https://…" aria-invalid={avatarProblem !== null}
             aria-describedby={avatarProblem ? 'rs-avatar-error rs-avatar-hint' : 'rs-avatar-hint'}
             onInput={(e) => checkAvatar(e.currentTarget)} />
      {avatarProblem && <span id="rs-avatar-error" class="error">{avatarProblem}</span>}
      <span id="rs-avatar-hint" class="hint">
        A path on this server (such as /relay.png) or an http(s) URL. An image from another
        host shows only if this Relay allows that host; otherwise the initials do.
      </span>
      <button type="submit" class="primary">Save branding</button>
      {status && <p role={status.ok ? 'status' : 'alert'} class={status.ok ? 'hint' : 'error'}>{status.text}</p>}
    </form>
  );
}

function Access({ room }: { room: Room }) {
  const [gated, setGated] = useState(room.settings.whitelistOnly);
  const [entries, setEntries] = useState<api.WhitelistEntry[] | null>(null);
  const [requests, setRequests] = useState<api.AccessRequestRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const slug = room.slug;

  const load = () => {
    api.listWhitelist(slug).then(setEntries, (e: unknown) => setError(message(e)));
    api.listAccessRequests(slug).then(setRequests, (e: unknown) => setError(message(e)));
  };
  useEffect(load, [slug]);
  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try { await fn(); } catch (e) { setError(message(e)); }
  };

  const add = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const who = String(new FormData(form).get('who') ?? '').trim();
    if (!who) return;
    void run(async () => {
      await api.addWhitelist(slug, who.includes('@') ? { email: who } : { login: who.replace(/^@/, '') });
      form.reset();
      load();
    });
  };

  return (
    <section class="settings-form" aria-labelledby="access-h">
      <h3 id="access-h">Who may enter</h3>
      <label class="check">
        <input type="checkbox" checked={gated}
               onChange={(e) => {
                 // Shown at once (a re-render before Relay answers must not flip the box
                 // back), then set to what Relay says, the old value if it refused.
                 const on = e.currentTarget.checked;
                 setGated(on);
                 void run(async () => {
                   try { setGated((await api.setWhitelistMode(slug, on)).settings.whitelistOnly); } catch (err) { setGated(!on); throw err; }
                 });
               }} />
        Members only (whitelist mode)
      </label>
      <h4>Access requests</h4>
      {requests?.length === 0 && <p class="hint">No pending requests.</p>}
      <ul class="rows" aria-label="Access requests">
        {requests?.map((r) => (
          <li key={r.id}>
            <span><strong>{r.user.login}</strong>{r.note && <span class="hint"> “{r.note}”</span>}</span>
            <button type="button" aria-label={`Approve ${r.user.login}`}
                    onClick={() => void run(async () => { await api.decideAccessRequest(slug, r.id, 'approve'); load(); })}>Approve</button>
            <button type="button" aria-label={`Deny ${r.user.login}`}
                    onClick={() => void run(async () => { await api.decideAccessRequest(slug, r.id, 'deny'); load(); })}>Deny</button>
          </li>
        ))}
      </ul>
      <button type="button" class="link" onClick={load}>Refresh</button>
      <h4>Whitelist</h4>
      <ul class="rows" aria-label="Whitelist">
        {entries?.map((w) => (
          <li key={w.id}>
            <span>{w.login ?? w.email}</span>
            <button type="button" aria-label={`Remove ${w.login ?? w.email ?? ''}`}
                    onClick={() => void run(async () => { await api.removeWhitelist(slug, w.id); load(); })}>Remove</button>
          </li>
        ))}
      </ul>
      <form class="inline" onSubmit={add}>
        <label for="wl-who">Add by login or email</label>
        <input id="wl-who" name="who" required maxLength={254} />
        <button type="submit">Add</button>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  );
}

function Bots({ slug, version }: { slug: string; version: number }) {
  const [bots, setBots] = useState<api.Bot[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => { api.listBotsFull(slug).then(setBots, (e: unknown) => setError(message(e))); };
  useEffect(load, [slug, version]);
  const add = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const f = new FormData(form);
    const text = (k: string) => String(f.get(k) ?? '').trim();
    const bot: { login: string; name?: string; agentId?: string; prefix?: string } = { login: text('login') };
    if (text('name')) bot.name = text('name');
    if (text('agentId')) bot.agentId = text('agentId');
    if (text('prefix')) bot.prefix = text('prefix');
    setError(null);
    try { await api.createBot(slug, bot); form.reset(); load(); } catch (err) { setError(message(err)); }
  };
  return (
    <section class="settings-form" aria-labelledby="bots-h">
      <h3 id="bots-h">Bots</h3>
      <ul class="rows" aria-label="Bots">
        {bots?.map((b) => (
          <li key={b.id}><span><strong>@{b.login}</strong>{b.agentId ? ` → agent ${b.agentId}` : ''}{b.prefix ? ` (replies start “${b.prefix}”)` : ''}</span></li>
        ))}
      </ul>
      <form class="settings-form" onSubmit={add}>
        <label for="bot-login">Bot login</label>
        <input id="bot-login" name="login" required pattern="[A-Za-z0-9_\-]{1,39}" />
        <label for="bot-name">Name</label>
        <input id="bot-name" name="name" />
        <label for="bot-agent">Agent id (mentions go to this agent)</label>
        <input id="bot-agent" name="agentId" />
        <label for="bot-prefix">Reply prefix</label>
        <input id="bot-prefix" name="prefix" />
        <button type="submit">Add bot</button>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  );
}
