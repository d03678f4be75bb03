// The signed-in layout: sidebar, the open channel, and the room session behind both.
// One room is open at a time; switching rooms closes the old socket.

import { useCallback, useEffect, useLayoutEffect, useMemo, useState } from 'preact/hooks';
import * as api from '../api';
import { channelLabel } from '../labels';
import { rememberRoom, visitedRooms, type RoomLink } from '../rooms';
import { href, navigate, onLinkClick, parse, usePath } from '../router';
import { RoomSession, takeEarly, type RoomState } from '../session';
import { useStore } from '../state';
import { ROOM_THREAD, type Me, type Room } from '../types';
import { AccessRequest } from './AccessRequest';
import { BoardView } from './BoardView';
import { Avatar, roomFace } from './Avatar';
import { ChannelView } from './ChannelView';
import { NotificationBell } from './Notifications';
import { SearchButton } from './Search';
import { Sidebar } from './Sidebar';

type Panel = 'settings' | 'account' | null;
/** The settings screens, fetched the first time one is opened (not in the first load). */
const loadPanels = () => Promise.all([import('./RoomSettings'), import('./Account')])
  .then(([r, a]) => ({ RoomSettings: r.RoomSettings, Account: a.Account }));
type Panels = Awaited<ReturnType<typeof loadPanels>>;

const HEX = /^#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/i;

/**
 * The room's accent colours as custom properties. Only hex colours are taken: the
 * values are the room owner's text, and anything else (url(), var(), expressions) is
 * dropped rather than handed to CSS.
 */
function accentStyle(room: Room | null): Record<string, string> {
  const [a, b] = (room?.accentColors ?? []).filter((c) => HEX.test(c));
  const style: Record<string, string> = {};
  if (a) style['--accent'] = a;
  if (b ?? a) style['--accent-2'] = (b ?? a)!;
  return style;
}

export function Workspace({ me, onSignedOut }: { me: Me; onSignedOut: () => void }) {
  const path = usePath();
  const route = parse(path);
  const [rooms, setRooms] = useState<RoomLink[]>(() => visitedRooms(me.id));
  const [navOpen, setNavOpen] = useState(false);
  const [panel, setPanel] = useState<Panel>(null);
  const [panels, setPanels] = useState<Panels | null>(null);
  const openPanel = (p: Panel) => {
    setPanel(p);
    if (!panels) loadPanels().then(setPanels, () => setPanel(null));
  };

  useEffect(() => {
    if (path === '/' || !path.startsWith('/r/')) navigate(href('lobby'), true);
  }, [path]);

  // The first one was opened by main.tsx already, as soon as `me` was known.
  const session = useMemo(() => takeEarly(route.room, me) ?? new RoomSession(route.room, me), [route.room, me]);
  // Before the first paint, not after it (useEffect): the socket is on the way to the
  // first rows. (Idempotent: main.tsx started the first room's session already.)
  useLayoutEffect(() => {
    void session.start();
    return () => session.stop();
  }, [session]);

  const room = useStore(session.store, useCallback((s: RoomState) => s.room, []));
  const channels = useStore(session.store, useCallback((s: RoomState) => s.channels, []));
  const problem = useStore(session.store, useCallback((s: RoomState) => s.problem, []));
  const status = useStore(session.store, useCallback((s: RoomState) => s.status, []));

  useEffect(() => {
    if (room) setRooms(rememberRoom(me.id, { slug: room.slug, displayName: room.displayName, avatarUrl: room.avatarUrl }));
  }, [room?.slug, room?.displayName, room?.avatarUrl]);

  // The owner renamed the room (a `branding` frame with a new slug): follow it, since the
  // old address no longer opens it.
  useEffect(() => {
    if (room && room.slug !== route.room) navigate(href(room.slug, route.channel), true);
  }, [room?.slug]);

  useEffect(() => {
    if (problem?.kind === 'signed-out') onSignedOut();
  }, [problem]);

  useEffect(() => setNavOpen(false), [path]);

  const channel = route.channel ? channels.find((c) => c.slug === route.channel) ?? null : null;
  const key = channel ? channel.id : ROOM_THREAD;
  const channelMissing = route.channel !== null && room !== null && !channel;

  useEffect(() => {
    document.title = room ? `${route.board ? 'Board' : channel ? channelLabel(channel, me) : 'general'} · ${room.displayName} · Relay` : 'Relay';
  }, [room, channel, route.board]);

  const isOwner = room !== null && room.slug !== 'lobby' && room.owner?.id === me.id;

  const signOut = async () => {
    try { await api.logout(); } finally {
      session.stop();
      onSignedOut();
    }
  };

  return (
    <div class={`workspace${navOpen ? ' nav-open' : ''}`} style={accentStyle(room)}>
      <header class="topbar">
        <button type="button" class="nav-toggle" aria-expanded={navOpen} aria-controls="sidebar"
                onClick={() => setNavOpen(!navOpen)}>Menu</button>
        {room && <Avatar user={roomFace(room)} size={28} />}
        <span class="brand">{room?.displayName ?? route.room}</span>
        {status === 'reconnecting' && <span class="conn" role="status">Reconnecting…</span>}
        {status === 'closed' && !problem && <span class="conn" role="status">Disconnected</span>}
        <SearchButton />
        <NotificationBell />
        {isOwner && <button type="button" onClick={() => openPanel('settings')}>Room settings</button>}
        <button type="button" class="me" onClick={() => openPanel('account')} aria-label={`Account: ${me.name || me.login}`}>
          {me.name || me.login}
        </button>
        <button type="button" onClick={signOut}>Sign out</button>
      </header>
      <Sidebar me={me} session={session} rooms={rooms} current={route} channels={channels}
               isOwner={isOwner} />
      <main class="main">
        {problem && problem.kind !== 'signed-out' ? (
          <section class="problem">
            <div role="alert">
              <h2>{problem.kind === 'forbidden' ? 'This room is members only'
                : problem.kind === 'not-found' ? 'Not found' : 'Something went wrong'}</h2>
              <p>{problem.text}</p>
            </div>
            {problem.kind === 'forbidden' && <AccessRequest slug={route.room} />}
            <a href={href('lobby')} onClick={onLinkClick}>Back to the lobby</a>
          </section>
        ) : channelMissing ? (
          <section class="problem" role="alert">
            <h2>No such channel</h2>
            <p>#{route.channel} does not exist in {room.displayName}, or you are not one of its members.</p>
          </section>
        ) : room && route.board ? (
          <BoardView key={`${room.slug}/board`} session={session} room={room} />
        ) : room ? (
          <ChannelView key={`${room.slug}/${key}`} session={session} me={me} room={room}
                       channelKey={key} label={channelLabel(channel, me)} isDm={channel?.visibility === 'dm'} />
        ) : (
          <p class="loading" aria-busy="true">Loading…</p>
        )}
      </main>
      {panel === 'settings' && panels && room && isOwner && <panels.RoomSettings room={room} onClose={() => setPanel(null)} />}
      {panel === 'account' && panels && <panels.Account me={me} onClose={() => setPanel(null)} />}
    </div>
  );
}
