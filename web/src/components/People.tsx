// The room's members, each a way into a DM with them. Loaded when opened: a big room's
// member list is not needed to read a channel.

import { useCallback, useState } from 'preact/hooks';
import * as api from '../api';
import { href, navigate } from '../router';
import type { RoomSession, RoomState } from '../session';
import { useStore } from '../state';
import type { Me, User } from '../types';
import { Avatar } from './Avatar';
import { PresenceDot } from './PresenceDot';

export function People({ session, me }: { session: RoomSession; me: Me }) {
  const [members, setMembers] = useState<User[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const online = useStore(session.store, useCallback((s: RoomState) => s.online, []));

  const load = (e: Event) => {
    if (!(e.currentTarget as HTMLDetailsElement).open || members) return;
    api.listMembers(session.slug).then(
      (all) => setMembers(all.filter((u) => u.id !== me.id).sort((a, b) => a.login.localeCompare(b.login))),
      (err: unknown) => setError(err instanceof Error ? err.message : String(err)),
    );
  };

  const message = async (user: User) => {
    setError(null);
    try {
      const dm = await api.openDm(session.slug, [user.login]);
      session.addChannel(dm);
      navigate(href(session.slug, dm.slug));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <details class="people" onToggle={load}>
      <summary>People</summary>
      {members === null && !error && <p class="hint">Loading…</p>}
      {members?.length === 0 && <p class="hint">Nobody else here yet.</p>}
      <ul>
        {members?.map((u) => (
          <li key={u.id}>
            <PresenceDot online={online.has(u.login.toLowerCase())} />
            <button type="button" class="link" onClick={() => void message(u)}
                    aria-label={`Message ${u.name || u.login}`}>
              <Avatar user={u} size={20} />
              {u.name || u.login}{u.name && u.name !== u.login ? <span class="login"> @{u.login}</span> : null}
            </button>
          </li>
        ))}
      </ul>
      {error && <p role="alert" class="error">{error}</p>}
    </details>
  );
}
