// REST calls of docs/api.md "Boards", and the move arithmetic the board screen shares
// between drag-and-drop and the keyboard.

import { call } from './api';
import type { Board, Card } from './types';

const enc = encodeURIComponent;

export interface BoardSummary { id: string; name: string; isDefault: boolean; ownerId: string }

export const roomBoard = (slug: string) => call<Board>('GET', `/api/rooms/${enc(slug)}/board`);
export const listBoards = (slug: string) =>
  call<{ boards: BoardSummary[] }>('GET', `/api/rooms/${enc(slug)}/boards`).then((r) => r.boards);
export const createBoard = (slug: string, name: string) =>
  call<Board>('POST', `/api/rooms/${enc(slug)}/boards`, { name });
export const getBoard = (id: string) => call<Board>('GET', `/api/boards/${enc(id)}`);
export const addCard = (boardId: string, title: string, body: string) =>
  call<Card>('POST', `/api/boards/${enc(boardId)}/cards`, { title, body });
export const moveCard = (id: string, columnId: string, position: number) =>
  call<Card>('PATCH', `/api/cards/${enc(id)}`, { columnId, position });
export const saveCard = (id: string, saved: boolean) =>
  call<Card>(saved ? 'PUT' : 'DELETE', `/api/cards/${enc(id)}/save`);

export type Direction = 'left' | 'right' | 'up' | 'down';

/** Where a card goes one step in `dir`: {columnId, position}, or null at the board's edge. */
export function step(board: Board, card: Card, dir: Direction): { columnId: string; position: number } | null {
  const ci = board.columns.findIndex((c) => c.id === card.columnId);
  if (ci < 0) return null;
  const here = board.columns[ci]!;
  // Up and down pass the neighbour as shown (the user's saved cards come first), so a
  // step always crosses the card the user sees next to it.
  const i = here.cards.findIndex((c) => c.id === card.id);
  if (dir === 'up') {
    const above = here.cards[i - 1];
    return above ? { columnId: here.id, position: dropPosition(board, card, here.id, above) } : null;
  }
  if (dir === 'down') {
    const below = here.cards[i + 1];
    return below ? { columnId: here.id, position: dropPosition(board, card, here.id, below) + 1 } : null;
  }
  const to = board.columns[ci + (dir === 'left' ? -1 : 1)];
  if (!to) return null;
  return { columnId: to.id, position: Math.min(card.position, to.cards.length) };
}

/**
 * The position a dragged card takes when dropped before `before` (a card of column
 * `columnId`), or at the column's end when `before` is null: its index among the
 * column's other cards, which is what PATCH /api/cards/:id takes.
 */
export function dropPosition(board: Board, dragged: Card, columnId: string, before: Card | null): number {
  const col = board.columns.find((c) => c.id === columnId);
  const others = (col?.cards ?? []).filter((c) => c.id !== dragged.id);
  if (!before) return others.length;
  const sameColumn = dragged.columnId === columnId;
  return before.position - (sameColumn && dragged.position < before.position ? 1 : 0);
}
