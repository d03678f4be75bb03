// The signed-in user's notifications (docs/api.md, "Notifications"): the unread count
// the bell shows, kept current by the `notification` frame every room socket carries,
// and the REST calls of the notifications view.

import * as api from './api';
import { Store } from './state';
import type { AppNotification } from './types';

export interface NotificationsState {
  /** Unread notifications, as far as the client knows (at most 100 are counted). */
  unread: number;
  /** Bumped on every live notification, so an open list reloads. */
  version: number;
}

export const notifications = new Store<NotificationsState>({ unread: 0, version: 0 });

/** Counts the unread ones from the server (on start, and after the view changed some). */
export async function refreshUnread(): Promise<void> {
  try {
    const page = await api.pageNotifications('unread', 100);
    notifications.update((s) => ({ ...s, unread: page.notifications.length }));
  } catch { /* offline: the badge keeps its count */ }
}

/** A `notification` frame from any room socket. */
export function received(_n: AppNotification): void {
  notifications.update((s) => ({ unread: s.unread + 1, version: s.version + 1 }));
}

/**
 * A mention in a thread reply: the thread to open beside its channel once that room's
 * view is up (ChannelView takes it).
 */
export const threadToOpen = new Store<{ roomSlug: string; threadId: string } | null>(null);

/**
 * After navigating to a mention: scrolls its message into view and marks it once it has
 * rendered (the room's sync brings it, or it is there already).
 */
export function revealMessage(messageId: string): void {
  const started = Date.now();
  const look = () => {
    const el = document.querySelector<HTMLElement>(`[data-id="${CSS.escape(messageId)}"]`);
    if (el) {
      el.scrollIntoView({ block: 'center' });
      el.classList.add('jumped');
      el.setAttribute('data-jumped', 'true');
      return;
    }
    if (Date.now() - started < 10000) setTimeout(look, 100);
  };
  look();
}
