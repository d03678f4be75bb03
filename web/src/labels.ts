import type { Channel, Me } from './types';

/** What a channel is called in the sidebar and the composer; null is the room-wide thread. */
export function channelLabel(c: Channel | null, me: Me): string {
  if (!c) return 'general';
  if (c.visibility === 'dm') {
    // A DM's name is its parties' logins, sorted: show the others.
    const others = c.name.split(', ').filter((l) => l.toLowerCase() !== me.login.toLowerCase());
    return others.length ? others.join(', ') : c.name;
  }
  return c.name || c.slug;
}
