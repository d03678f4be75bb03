// A room's board (docs/web.md "Board"): columns of cards; add a card; move cards by
// drag-and-drop or from the keyboard (Alt+Arrow on a focused card, or its move buttons);
// save a card to keep it at the top of its column for yourself. Other people's changes
// arrive as board_updated / card_moved on the room's socket and are read again from the
// server, which is what orders cards (and knows which ones this user saved).

import { useEffect, useRef, useState } from 'preact/hooks';
import * as boards from '../boards';
import type { RoomSession } from '../session';
import type { Board, BoardFrame, Card, Room } from '../types';
import '../styles/board.css';

interface Props {
  session: RoomSession;
  room: Room;
}

const KEYS: Record<string, boards.Direction> = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' };

export function BoardView({ session, room }: Props) {
  const [board, setBoard] = useState<Board | null>(null);
  const [list, setList] = useState<boards.BoardSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const boardId = useRef<string | null>(null);
  const focusAfter = useRef<string | null>(null);
  const dragging = useRef<Card | null>(null);

  const show = (b: Board) => {
    boardId.current = b.id;
    setBoard(b);
  };
  const reload = async (id = boardId.current) => {
    if (!id) return;
    try { show(await boards.getBoard(id)); } catch (e) { setError(message(e)); }
  };

  useEffect(() => {
    let live = true;
    boards.roomBoard(room.slug).then((b) => {
      if (!live) return;
      show(b);
      void boards.listBoards(room.slug).then((l) => live && setList(l), () => {});
    }, (e) => live && setError(message(e)));
    return () => { live = false; };
  }, [room.slug]);

  // Live: another person's card or move on this board, or a new board in the room.
  useEffect(() => {
    const l = (f: BoardFrame) => {
      if (f.boardId === boardId.current) void reload();
      if (f.type === 'board_updated') void boards.listBoards(room.slug).then(setList, () => {});
    };
    session.boardEvents.add(l);
    return () => { session.boardEvents.delete(l); };
  }, [session, room.slug]);

  // The moved card keeps the focus across the re-render that puts it in its new place.
  useEffect(() => {
    if (!focusAfter.current) return;
    const el = document.querySelector<HTMLElement>(`[data-card-id="${focusAfter.current}"]`);
    focusAfter.current = null;
    el?.focus();
  }, [board]);

  const move = async (card: Card, columnId: string, position: number, keepFocus: boolean) => {
    try {
      const moved = await boards.moveCard(card.id, columnId, position);
      const col = board?.columns.find((c) => c.id === moved.columnId);
      setStatus(`Moved “${card.title}” to ${col?.name ?? 'another column'}, position ${moved.position + 1}`);
      if (keepFocus) focusAfter.current = card.id;
      setError(null);
      await reload();
    } catch (e) {
      setError(message(e));
    }
  };

  const stepCard = (card: Card, dir: boards.Direction) => {
    if (!board) return;
    const to = boards.step(board, card, dir);
    if (to) void move(card, to.columnId, to.position, true);
  };

  const toggleSave = async (card: Card) => {
    try {
      await boards.saveCard(card.id, !card.saved);
      focusAfter.current = card.id;
      await reload();
    } catch (e) { setError(message(e)); }
  };

  const drop = (e: DragEvent, columnId: string, before: Card | null) => {
    e.preventDefault();
    e.stopPropagation();
    const card = dragging.current;
    dragging.current = null;
    if (!card || !board) return;
    void move(card, columnId, boards.dropPosition(board, card, columnId, before), false);
  };

  if (!board) {
    return error ? <section class="problem" role="alert"><p>{error}</p></section>
      : <p class="loading" aria-busy="true">Loading board…</p>;
  }

  return (
    <section class="board" aria-labelledby="board-title">
      <header class="board-head">
        <h2 id="board-title">{board.name}</h2>
        {list.length > 1 && (
          <label>Board{' '}
            <select value={board.id} onChange={(e) => void reload((e.currentTarget as HTMLSelectElement).value)}>
              {list.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
            </select>
          </label>
        )}
        <NewBoard slug={room.slug} onMade={(b) => { show(b); void boards.listBoards(room.slug).then(setList, () => {}); }} />
      </header>
      <NewCard boardId={board.id} onAdded={() => reload()} onError={setError} />
      {error && <p role="alert" class="error">{error}</p>}
      <p class="visually-hidden" role="status" aria-live="polite">{status}</p>
      <p class="board-help">Drag cards between columns, or focus a card and press Alt+Arrow keys to move it.</p>
      <div class="board-columns">
        {board.columns.map((col) => (
          <section key={col.id} class="board-column" aria-label={col.name} data-column-id={col.id}
                   onDragOver={(e) => e.preventDefault()} onDrop={(e) => drop(e, col.id, null)}>
            <h3>{col.name} <span class="count">{col.cards.length}</span></h3>
            <ol>
              {col.cards.map((card) => (
                <li key={card.id} class={`card${card.saved ? ' saved' : ''}`} tabIndex={0} draggable
                    data-card-id={card.id} aria-label={`${card.title}, in ${col.name}`}
                    onDragStart={(e) => {
                      dragging.current = card;
                      e.dataTransfer?.setData('text/plain', card.id);
                      if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
                    }}
                    onDragEnd={() => { dragging.current = null; }}
                    onDragOver={(e) => e.preventDefault()}
                    onDrop={(e) => drop(e, col.id, card)}
                    onKeyDown={(e) => {
                      const dir = KEYS[e.key];
                      if (!dir || !e.altKey || e.target !== e.currentTarget) return;
                      e.preventDefault();
                      stepCard(card, dir);
                    }}>
                  <div class="card-title">{card.title}</div>
                  {card.body && <p class="card-body">{card.body}</p>}
                  <div class="card-foot">
                    <span class="card-author">{card.author.name || card.author.login}</span>
                    <button type="button" class="star" aria-pressed={card.saved}
                            aria-label={card.saved ? `Unsave “${card.title}”` : `Save “${card.title}”`}
                            onClick={() => void toggleSave(card)}>{card.saved ? '★' : '☆'}</button>
                    {(['left', 'up', 'down', 'right'] as const).map((d) => (
                      <button key={d} type="button" class="move" aria-label={`Move “${card.title}” ${d}`}
                              disabled={!boards.step(board, card, d)} onClick={() => stepCard(card, d)}>
                        {{ left: '←', up: '↑', down: '↓', right: '→' }[d]}
                      </button>
                    ))}
                  </div>
                </li>
              ))}
            </ol>
          </section>
        ))}
      </div>
    </section>
  );
}

function NewCard({ boardId, onAdded, onError }: { boardId: string; onAdded: () => void; onError: (e: string) => void }) {
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!title.trim()) return;
    try {
      await boards.addCard(boardId, title, body);
      setTitle('');
      setBody('');
      onAdded();
    } catch (err) { onError(message(err)); }
  };
  return (
    <form class="new-card" onSubmit={submit}>
      <label for="new-card-title">Card title</label>
      <input id="new-card-title" value={title} maxLength={200} required
             onInput={(e) => setTitle((e.currentTarget as HTMLInputElement).value)} />
      <label for="new-card-body">Details</label>
      <textarea id="new-card-body" value={body} maxLength={4000} rows={1}
                onInput={(e) => setBody((e.currentTarget as HTMLTextAreaElement).value)} />
      <button type="submit">Add card</button>
    </form>
  );
}

function NewBoard({ slug, onMade }: { slug: string; onMade: (b: Board) => void }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!open) return <button type="button" class="link" onClick={() => setOpen(true)}>+ New board</button>;
  const submit = async (e: Event) => {
    e.preventDefault();
    const name = String(new FormData(e.currentTarget as HTMLFormElement).get('name') ?? '').trim();
    try {
      onMade(await boards.createBoard(slug, name));
      setOpen(false);
    } catch (err) { setError(message(err)); }
  };
  return (
    <form class="new-board" onSubmit={submit}>
      <label for="new-board-name">Board name</label>
      <input id="new-board-name" name="name" required maxLength={100}
             onKeyDown={(e) => { if (e.key === 'Escape') setOpen(false); }} />
      {error && <p role="alert" class="error">{error}</p>}
      <button type="submit">Create</button>
      <button type="button" onClick={() => setOpen(false)}>Cancel</button>
    </form>
  );
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
