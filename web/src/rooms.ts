// The rooms a user has visited, newest first. Relay has no "my rooms" endpoint yet, so
// the sidebar remembers them in localStorage (per user: two accounts in one browser do
// not share a list).

export interface RoomLink {
  slug: string;
  displayName: string;
  avatarUrl?: string | undefined;
}

const key = (userId: string) => `relay.rooms.${userId}`;
const MAX = 30;

export function visitedRooms(userId: string): RoomLink[] {
  try {
    const v = JSON.parse(localStorage.getItem(key(userId)) ?? '[]') as unknown;
    return Array.isArray(v) ? (v as RoomLink[]).filter((r) => typeof r?.slug === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberRoom(userId: string, room: RoomLink): RoomLink[] {
  const list = [room, ...visitedRooms(userId).filter((r) => r.slug !== room.slug)].slice(0, MAX);
  try { localStorage.setItem(key(userId), JSON.stringify(list)); } catch { /* private mode */ }
  return list;
}
