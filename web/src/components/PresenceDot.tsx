// A green dot for someone online in the room, a hollow one otherwise (docs/api.md
// "Presence"). Screen readers hear the word.

export function PresenceDot({ online }: { online: boolean }) {
  const word = online ? 'online' : 'offline';
  return <span class={`presence ${word}`} role="img" aria-label={word} title={word} />;
}
