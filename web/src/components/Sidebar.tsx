// Rooms (the lobby, then those visited), the current room's channels and its DMs, with
// unread counts.

import type { ComponentChildren } from 'preact';
import { useCallback, useState } from 'preact/hooks';
import * as api from '../api';
import { useAutoFocus } from '../focus';
import { channelLabel } from '../labels';
import { Avatar, roomFace } from './Avatar';
import { People } from './People';
import { PresenceDot } from './PresenceDot';
import type { RoomLink } from '../rooms';
import { boardHref, href, navigate, onLinkClick, type Route } from '../router';
import type { RoomSession, RoomState } from '../session';
import { useStore } from '../state';
import { ROOM_THREAD, type Channel, type Me } from '../types';

interface Props {
  me: Me;
  session: RoomSession;
  /** The current room's owner may create channels in it (never in the lobby). */
  isOwner: boolean;
  rooms: RoomLink[];
  current: Route;
  channels: Channel[];
}

/** A slug Relay accepts (1..64 of a-z 0-9 - _) made from what the user typed. */
export function slugify(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64);
}

const byName = (a: Channel, b: Channel) => a.name.localeCompare(b.name);

export function Sidebar({ me, session, isOwner, rooms, current, channels }: Props) {
  const seqs = useStore(session.store, useCallback((s: RoomState) => s.seqs, []));
  const readSeqs = useStore(session.store, useCallback((s: RoomState) => s.readSeqs, []));
  const online = useStore(session.store, useCallback((s: RoomState) => s.online, []));
  // A DM shows a dot for its other parties: online when one of them is.
  const dmOnline = (c: Channel) => channelLabel(c, me).split(', ').some((l) => online.has(l.toLowerCase()));
  const unread = (key: string) => Math.max(0, (seqs[key] ?? 0) - (readSeqs[key] ?? seqs[key] ?? 0));

  const listed = channels.filter((c) => c.visibility !== 'dm').sort(byName);
  const dms = channels.filter((c) => c.visibility === 'dm').sort(byName);
  const others = rooms.filter((r) => r.slug !== 'lobby');

  const item = (label: string, to: string, active: boolean, count: number, prefix: ComponentChildren,
                status?: boolean) => (
    <li key={to}>
      <a href={to} onClick={onLinkClick} aria-current={active ? 'page' : undefined} class={count ? 'unread' : undefined}>
        <span class="prefix" aria-hidden="true">{prefix}</span>
        <span class="label">{label}</span>
        {status !== undefined && <PresenceDot online={status} />}
        {count > 0 && <span class="badge" aria-label={`${count} unread`}>{count > 99 ? '99+' : count}</span>}
      </a>
    </li>
  );

  return (
    <nav id="sidebar" class="sidebar" aria-label="Rooms and channels">
      <h2>Rooms</h2>
      <ul>
        {item('Lobby', href('lobby'), current.room === 'lobby', 0, '⌂')}
        {others.map((r) => item(r.displayName || r.slug, href(r.slug), current.room === r.slug, 0,
          <Avatar user={roomFace(r)} size={18} />))}
      </ul>
      <NewRoom />
      <h2>Channels</h2>
      <ul>
        {item('general', href(current.room), current.channel === null && !current.board, current.channel === null ? 0 : unread(ROOM_THREAD), '#')}
        {listed.map((c) => item(channelLabel(c, me), href(current.room, c.slug), current.channel === c.slug,
          current.channel === c.slug ? 0 : unread(c.id), c.visibility === 'public' ? '#' : <Lock />))}
      </ul>
      {isOwner && <NewChannel session={session} />}
      <ul>{item('Board', boardHref(current.room), !!current.board, 0, '▦')}</ul>
      <People session={session} me={me} />
      {dms.length > 0 && (
        <>
          <h2>Direct messages</h2>
          <ul>
            {dms.map((c) => item(channelLabel(c, me), href(current.room, c.slug), current.channel === c.slug,
              current.channel === c.slug ? 0 : unread(c.id), '@', dmOnline(c)))}
          </ul>
        </>
      )}
    </nav>
  );
}

function NewRoom() {
  const [open, setOpen] = useState(false);
  if (!open) return <button type="button" class="link" onClick={() => setOpen(true)}>+ New room</button>;
  return <NewRoomForm onClose={() => setOpen(false)} />;
}

function NewRoomForm({ onClose }: { onClose: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const first = useAutoFocus<HTMLInputElement>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const name = String(form.get('name') ?? '').trim();
    try {
      const room = await api.createRoom(slugify(name), name);
      onClose();
      navigate(href(room.slug));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form class="new-room" onSubmit={submit}>
      <label for="new-room-name">Room name</label>
      <input id="new-room-name" name="name" required maxLength={64} ref={first}
             onKeyDown={(e) => { if (e.key === 'Escape') onClose(); }} />
      {error && <p role="alert" class="error">{error}</p>}
      <button type="submit">Create</button>
      <button type="button" onClick={onClose}>Cancel</button>
    </form>
  );
}

/** Drawn, not an emoji: headless and minimal systems often have no emoji font. */
function Lock() {
  return (
    <svg width="11" height="12" viewBox="0 0 11 12" fill="currentColor" aria-label="private" role="img">
      <path d="M2.5 5V3.5a3 3 0 0 1 6 0V5H10v7H1V5h1.5Zm1.5 0h3V3.5a1.5 1.5 0 0 0-3 0V5Z" />
    </svg>
  );
}

function NewChannel({ session }: { session: RoomSession }) {
  const [open, setOpen] = useState(false);
  if (!open) return <button type="button" class="link" onClick={() => setOpen(true)}>+ New channel</button>;
  return <NewChannelForm session={session} onClose={() => setOpen(false)} />;
}

function NewChannelForm({ session, onClose }: { session: RoomSession; onClose: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const first = useAutoFocus<HTMLInputElement>();
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const name = String(form.get('name') ?? '').trim();
    const visibility = form.get('visibility') === 'private' ? 'private' : 'public';
    try {
      const channel = await api.createChannel(session.slug, name, slugify(name), visibility);
      onClose();
      navigate(href(session.slug, channel.slug));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form class="new-room" onSubmit={submit}>
      <label for="new-channel-name">Channel name</label>
      <input id="new-channel-name" name="name" required maxLength={64} ref={first}
             onKeyDown={(e) => { if (e.key === 'Escape') onClose(); }} />
      <label class="check"><input type="checkbox" name="visibility" value="private" /> Private</label>
      {error && <p role="alert" class="error">{error}</p>}
      <button type="submit">Create</button>
      <button type="button" onClick={onClose}>Cancel</button>
    </form>
  );
}
