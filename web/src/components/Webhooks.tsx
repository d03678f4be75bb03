// The owner's outbound webhooks in the room settings (docs/api.md, "Outbound webhooks"):
// the list with each hook's last delivery, creating one (its signing secret is shown
// once, right here), switching one off and on, deleting it, and its recent deliveries.

import { useEffect, useState } from 'preact/hooks';
import * as api from '../api';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

const EVENTS = ['message.created', 'message.updated', 'message.deleted', 'reaction.added',
  'reaction.removed', 'channel.created', 'thread.reply_created', 'member.joined'] as const;

function lastDelivery(h: api.Webhook): string {
  if (!h.lastDelivery) return 'no deliveries yet';
  const code = h.lastDelivery.statusCode != null ? ` (HTTP ${h.lastDelivery.statusCode})` : '';
  return `last delivery ${h.lastDelivery.state}${code}`;
}

export function Webhooks({ slug }: { slug: string }) {
  const [hooks, setHooks] = useState<api.Webhook[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<{ url: string; secret: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const load = () => { api.listWebhooks(slug).then(setHooks, (e: unknown) => setError(message(e))); };
  useEffect(load, [slug]);
  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try { await fn(); load(); } catch (e) { setError(message(e)); }
  };
  const create = (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const f = new FormData(form);
    const events = f.getAll('events').map(String);
    const url = String(f.get('url') ?? '').trim();
    const description = String(f.get('description') ?? '').trim();
    void run(async () => {
      const made = await api.createWebhook(slug, { url, events, description });
      setSecret({ url: made.url, secret: made.secret ?? '' });
      form.reset();
    });
  };
  return (
    <section class="settings-form" aria-labelledby="hooks-h">
      <h3 id="hooks-h">Webhooks</h3>
      <p class="hint">Relay POSTs this room's events to these URLs, signed with the hook's secret.</p>
      {secret && (
        <div role="status" class="webhook-secret">
          <p>Signing secret of {secret.url} — copy it now, it is not shown again:</p>
          <code aria-label="Signing secret">{secret.secret}</code>
          <button type="button" onClick={() => setSecret(null)}>Done</button>
        </div>
      )}
      {hooks?.length === 0 && <p class="hint">No webhooks.</p>}
      <ul class="rows" aria-label="Webhooks">
        {hooks?.map((h) => (
          <li key={h.id}>
            <span>
              <strong>{h.url}</strong>
              <span class="hint"> {h.events.join(', ')} · {h.enabled ? lastDelivery(h) : `off${h.disabledReason ? `: ${h.disabledReason}` : ''}`}</span>
            </span>
            <button type="button" aria-label={`${h.enabled ? 'Disable' : 'Enable'} ${h.url}`}
                    onClick={() => void run(() => api.updateWebhook(slug, h.id, { enabled: !h.enabled }))}>
              {h.enabled ? 'Disable' : 'Enable'}
            </button>
            <button type="button" aria-expanded={open === h.id} aria-label={`Deliveries of ${h.url}`}
                    onClick={() => setOpen(open === h.id ? null : h.id)}>Deliveries</button>
            <button type="button" aria-label={`Delete ${h.url}`}
                    onClick={() => void run(() => api.deleteWebhook(slug, h.id))}>Delete</button>
            {open === h.id && <Deliveries slug={slug} id={h.id} />}
          </li>
        ))}
      </ul>
      <form class="settings-form" onSubmit={create}>
        <label for="hook-url">Payload URL</label>
        <input id="hook-url" name="url" type="url" required maxLength={2048} placeholder="https://…" />
        <label for="hook-desc">What it is for</label>
        <input id="hook-desc" name="description" maxLength={500} />
        <fieldset>
          <legend>Events</legend>
          {EVENTS.map((ev) => (
            <label class="check" key={ev}>
              <input type="checkbox" name="events" value={ev} defaultChecked={ev === 'message.created'} /> {ev}
            </label>
          ))}
        </fieldset>
        <button type="submit">Add webhook</button>
      </form>
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  );
}

function Deliveries({ slug, id }: { slug: string; id: string }) {
  const [rows, setRows] = useState<api.WebhookDelivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => { api.listWebhookDeliveries(slug, id).then(setRows, (e: unknown) => setError(message(e))); };
  useEffect(load, [slug, id]);
  return (
    <div class="webhook-deliveries">
      {rows?.length === 0 && <p class="hint">No deliveries yet.</p>}
      {rows && rows.length > 0 && (
        <table aria-label="Recent deliveries">
          <thead><tr><th>Event</th><th>State</th><th>Attempts</th><th>Status</th><th>Latency</th><th>Error</th><th /></tr></thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id}>
                <td>{d.event}</td>
                <td>{d.state}</td>
                <td>{d.attempt}</td>
                <td>{d.statusCode ?? '—'}</td>
                <td>{d.latencyMs != null ? `${d.latencyMs} ms` : '—'}</td>
                <td>{d.error ?? ''}</td>
                <td>
                  <button type="button" onClick={() => {
                    api.redeliverWebhook(slug, id, d.id).then(load, (e: unknown) => setError(message(e)));
                  }}>Redeliver</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <button type="button" class="link" onClick={load}>Refresh</button>
      {error && <p role="alert" class="error">{error}</p>}
    </div>
  );
}
