// The search view (opened by SearchButton): the box, filters as chips, newest or
// relevance, and the results grouped by room and channel, each with author, time and the
// highlighted snippet; Load more; a result opens its message in its channel.

import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import * as api from '../api';
import { href, navigate } from '../router';
import {
  channelKeyOf, jumpTarget, parseFilters, removeFilter, snippetParts, type JumpTarget,
} from '../search';
import type { SearchResult, SearchSort } from '../types';
import { Dialog } from './Dialog';

/** What was searched last, shown again when the box is reopened. */
const last: { q: string; sort: SearchSort } = { q: '', sort: 'newest' };
const DEBOUNCE_MS = 250;

interface Group {
  key: string;
  label: string;
  items: { r: SearchResult; index: number }[];
}

/** Results by room and channel, in the order each group's first hit came. */
function group(results: SearchResult[]): Group[] {
  const groups = new Map<string, Group>();
  for (const r of results) {
    const key = `${r.room}/${channelKeyOf(r)}`;
    let g = groups.get(key);
    if (!g) {
      g = { key, label: r.channel ? `${r.room} › #${r.channel.name}` : `${r.room} › general`, items: [] };
      groups.set(key, g);
    }
    g.items.push({ r, index: 0 });
  }
  let i = 0;
  const out = [...groups.values()];
  for (const g of out) for (const it of g.items) it.index = i++;
  return out;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function SearchView({ onClose }: { onClose: () => void }) {
  const [q, setQ] = useState(last.q);
  const [sort, setSort] = useState<SearchSort>(last.sort);
  const [results, setResults] = useState<SearchResult[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  /** Counts requests: an answer to an older query is dropped. */
  const asked = useRef(0);

  useLayoutEffect(() => { input.current?.focus(); input.current?.select(); }, []);

  useEffect(() => {
    last.q = q;
    last.sort = sort;
    const n = ++asked.current;
    if (!q.trim()) {
      setResults(null); setNext(null); setError(null); setBusy(false);
      return;
    }
    setBusy(true);
    const timer = setTimeout(() => {
      api.search(q, sort, null).then((p) => {
        if (n !== asked.current) return;
        setResults(p.results); setNext(p.next?.cursor ?? null); setError(null); setActive(0); setBusy(false);
      }, (e: Error) => {
        if (n !== asked.current) return;
        setResults(null); setNext(null); setError(e.message); setBusy(false);
      });
    }, DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [q, sort]);

  const more = async () => {
    if (!next) return;
    const n = asked.current;
    setBusy(true);
    try {
      const p = await api.search(q, sort, next);
      if (n !== asked.current) return;
      setResults((xs) => [...(xs ?? []), ...p.results]);
      setNext(p.next?.cursor ?? null);
    } catch (e) {
      if (n === asked.current) setError((e as Error).message);
    } finally {
      if (n === asked.current) setBusy(false);
    }
  };

  const openResult = async (r: SearchResult) => {
    const m = r.message;
    const target: JumpTarget = {
      roomSlug: r.room, channelKey: channelKeyOf(r), messageId: m.id, seq: m.seq, threadId: null, replyId: null,
    };
    if (m.threadId) {
      // A root and its replies both carry the thread's id; the thread says which is which.
      try {
        const page = await api.listReplies(m.threadId, 0);
        if (page.thread.rootId !== m.id) {
          target.threadId = m.threadId;
          target.replyId = m.id;
          target.messageId = page.thread.rootId;
          target.seq = page.root ? page.root.seq : null;
        }
      } catch { /* the thread is gone: the message is shown as it is */ }
    }
    onClose();
    const path = href(r.room, r.channel?.slug ?? null);
    jumpTarget.update(() => target);
    // Already there: ChannelView takes the target from the store; elsewhere it takes it
    // when it opens.
    navigate(path);
  };

  const groups = results ? group(results) : [];
  const count = results?.length ?? 0;
  const filters = parseFilters(q);
  const optionId = (i: number) => `search-result-${i}`;

  useEffect(() => {
    if (count) document.getElementById(optionId(active))?.scrollIntoView({ block: 'nearest' });
  }, [active, count]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' && count) { e.preventDefault(); setActive((a) => Math.min(count - 1, a + 1)); }
    else if (e.key === 'ArrowUp' && count) { e.preventDefault(); setActive((a) => Math.max(0, a - 1)); }
    else if (e.key === 'Home' && count && e.ctrlKey) { e.preventDefault(); setActive(0); }
    else if (e.key === 'End' && count && e.ctrlKey) { e.preventDefault(); setActive(count - 1); }
    else if (e.key === 'Escape') { e.preventDefault(); onClose(); } // not the search field's clearing
    else if (e.key === 'Enter') {
      e.preventDefault();
      const r = results?.[active];
      if (r) void openResult(r);
    }
  };

  return (
    <Dialog title="Search messages" onClose={onClose} class="search">
      <div class="search-box">
        <input ref={input} type="search" value={q} autofocus aria-label="Search messages"
               placeholder='words, "a phrase", from:login, in:room…'
               role="combobox" aria-expanded={count > 0} aria-controls="search-results" aria-autocomplete="list"
               aria-activedescendant={count ? optionId(active) : undefined} aria-describedby="search-status"
               onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)} onKeyDown={onKeyDown} />
        <div role="radiogroup" aria-label="Order" class="search-sort">
          {(['newest', 'relevance'] as const).map((s) => (
            <button key={s} type="button" role="radio" aria-checked={sort === s} onClick={() => setSort(s)}>
              {s === 'newest' ? 'Newest' : 'Relevance'}
            </button>
          ))}
        </div>
      </div>
      {filters.length > 0 && (
        <ul class="chips" aria-label="Filters">
          {filters.map((f) => (
            <li key={f.token} class="chip" data-filter={f.token}>
              <span>{f.key}: <strong>{f.value}</strong></span>
              <button type="button" class="link" aria-label={`Remove filter ${f.token}`}
                      onClick={() => { setQ(removeFilter(q, f.token)); input.current?.focus(); }}>✕</button>
            </li>
          ))}
        </ul>
      )}
      <p id="search-status" class="search-status" role="status" aria-live="polite">
        {busy ? 'Searching…' : results === null ? '' : count === 0 ? '' : `${count}${next ? '+' : ''} ${count === 1 && !next ? 'result' : 'results'}`}
      </p>
      {error && <p role="alert" class="error">{error}</p>}
      {results !== null && count === 0 && !busy && (
        <p class="empty">No messages match <q>{q}</q>. Fewer words, a trailing * or fewer filters find more.</p>
      )}
      {results === null && !error && !q.trim() && (
        <p class="empty">Type words to find; all must match. Filters: in:room or in:room/channel, from:login,
          before:/after:YYYY-MM-DD, has:link, has:attachment, is:thread.</p>
      )}
      <div id="search-results" role="listbox" aria-label="Search results" class="search-results" hidden={count === 0}>
        {groups.map((g, gi) => (
          <div key={g.key} role="group" aria-labelledby={`search-group-${gi}`} class="search-group">
            <div id={`search-group-${gi}`} class="search-group-head">{g.label}</div>
            {g.items.map(({ r, index }) => (
              <div key={r.message.id} id={optionId(index)} role="option" aria-selected={index === active}
                   class={`search-hit${index === active ? ' active' : ''}`} data-message={r.message.id}
                   onClick={() => void openResult(r)} onMouseMove={() => index !== active && setActive(index)}>
                <span class="hit-meta">
                  <strong>{r.message.author.name || r.message.author.login}</strong>{' '}
                  <time dateTime={r.message.createdAt}>{timeFmt.format(new Date(r.message.createdAt))}</time>
                </span>
                <span class="snippet">
                  {snippetParts(r.snippet).map((p, i) => (p.mark ? <mark key={i}>{p.text}</mark> : p.text))}
                </span>
              </div>
            ))}
          </div>
        ))}
      </div>
      {next && <button type="button" class="search-more" onClick={more} disabled={busy}>Load more</button>}
    </Dialog>
  );
}
