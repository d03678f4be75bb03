// The bell in the top bar with the unread count, and the notifications view it opens:
// tabs (unread, all, saved, archived), mark read, archive, save, and a mention's link to
// its message's room and channel.

import { useCallback, useEffect, useState } from 'preact/hooks';
import * as api from '../api';
import { notifications, refreshUnread, revealMessage, threadToOpen, type NotificationsState } from '../notifications';
import { href, navigate } from '../router';
import { useStore } from '../state';
import type { AppNotification } from '../types';
import { Dialog } from './Dialog';

const TABS: { tab: api.NotificationTab; label: string }[] = [
  { tab: 'unread', label: 'Unread' },
  { tab: 'all', label: 'All' },
  { tab: 'saved', label: 'Saved' },
  { tab: 'archived', label: 'Archived' },
];

export function NotificationBell() {
  const unread = useStore(notifications, useCallback((s: NotificationsState) => s.unread, []));
  const [open, setOpen] = useState(false);
  useEffect(() => { void refreshUnread(); }, []);
  return (
    <>
      <button type="button" class="bell" onClick={() => setOpen(true)}
              aria-label={unread ? `Notifications, ${unread} unread` : 'Notifications'}>
        {/* Drawn, not an emoji: a machine without an emoji font showed an empty box. */}
        <svg aria-hidden="true" viewBox="0 0 16 16" width="16" height="16">
          <path d="M8 1.5a4.5 4.5 0 0 0-4.5 4.5v3L2 11.5h12L12.5 9V6A4.5 4.5 0 0 0 8 1.5z"
                fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" />
          <path d="M6.3 13.5a1.8 1.8 0 0 0 3.4 0" fill="none" stroke="currentColor" stroke-width="1.5" />
        </svg>
        {unread > 0 && <span class="badge" data-testid="notification-badge">{unread > 99 ? '99+' : unread}</span>}
      </button>
      {open && <NotificationsView onClose={() => setOpen(false)} />}
    </>
  );
}

function describe(n: AppNotification): string {
  if (n.kind === 'mention') return `${n.data.author ?? 'Someone'} mentioned you in ${n.data.roomSlug ?? 'a room'}`;
  if (n.kind === 'access_request') return `${n.data.login ?? 'Someone'} asks to join ${n.data.roomSlug ?? 'your room'}`;
  return n.kind;
}

function NotificationsView({ onClose }: { onClose: () => void }) {
  const [tab, setTab] = useState<api.NotificationTab>('unread');
  const [items, setItems] = useState<AppNotification[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const version = useStore(notifications, useCallback((s: NotificationsState) => s.version, []));

  useEffect(() => {
    let live = true;
    api.pageNotifications(tab).then((p) => {
      if (!live) return;
      setItems(p.notifications);
      setNext(p.next);
      setError(null);
    }, (e: Error) => live && setError(e.message));
    return () => { live = false; };
  }, [tab, version]);

  const more = async () => {
    if (!next) return;
    try {
      const p = await api.pageNotifications(tab, 50, next);
      setItems((xs) => [...(xs ?? []), ...p.notifications]);
      setNext(p.next);
    } catch (e) { setError((e as Error).message); }
  };

  // A change that moves the item out of this tab takes it off the list.
  const change = async (n: AppNotification, run: () => Promise<AppNotification>) => {
    try {
      const after = await run();
      const stays = tab === 'all' ? after.state !== 'archived'
        : tab === 'saved' ? after.saved : after.state === tab;
      setItems((xs) => (xs ?? []).flatMap((x) => (x.id !== n.id ? [x] : stays ? [after] : [])));
      void refreshUnread();
    } catch (e) { setError((e as Error).message); }
  };

  const open = (n: AppNotification) => {
    if (n.state === 'unread') void change(n, () => api.setNotificationState(n.id, 'read'));
    if (n.kind === 'mention' && n.data.roomSlug) {
      onClose();
      navigate(href(n.data.roomSlug, n.data.channelSlug ?? null));
      if (n.data.threadId) threadToOpen.update(() => ({ roomSlug: n.data.roomSlug!, threadId: n.data.threadId! }));
      if (n.data.messageId) revealMessage(n.data.messageId);
    } else if (n.data.roomSlug) {
      onClose();
      navigate(href(n.data.roomSlug));
    }
  };

  return (
    <Dialog title="Notifications" onClose={onClose} class="notifications">
      <div role="tablist" aria-label="Which notifications" class="tabs">
        {TABS.map((t) => (
          <button key={t.tab} type="button" role="tab" aria-selected={tab === t.tab}
                  onClick={() => { setTab(t.tab); setItems(null); }}>{t.label}</button>
        ))}
      </div>
      {error && <p role="alert">{error}</p>}
      {items === null ? <p aria-busy="true">Loading…</p>
        : items.length === 0 ? <p class="empty">Nothing here.</p>
        : (
          <ul class="notification-list" role="tabpanel">
            {items.map((n) => (
              <li key={n.id} class={`notification ${n.state}`} data-notification={n.id}>
                <button type="button" class="link open" onClick={() => open(n)}>
                  <strong>{describe(n)}</strong>
                  {n.data.excerpt && <span class="excerpt">{n.data.excerpt}</span>}
                  <time dateTime={n.createdAt}>{new Date(n.createdAt).toLocaleString()}</time>
                </button>
                <span class="actions">
                  {n.state === 'unread' && (
                    <button type="button" onClick={() => change(n, () => api.setNotificationState(n.id, 'read'))}>Mark read</button>
                  )}
                  {n.state !== 'archived' ? (
                    <button type="button" onClick={() => change(n, () => api.setNotificationState(n.id, 'archived'))}>Archive</button>
                  ) : (
                    <button type="button" onClick={() => change(n, () => api.setNotificationState(n.id, 'read'))}>Unarchive</button>
                  )}
                  <button type="button" aria-pressed={n.saved}
                          onClick={() => change(n, () => api.saveNotification(n.id, !n.saved))}>
                    {n.saved ? 'Unsave' : 'Save'}
                  </button>
                </span>
              </li>
            ))}
          </ul>
        )}
      {next && <button type="button" onClick={more}>Load more</button>}
    </Dialog>
  );
}
