// A minimal observable store: components subscribe to a slice and re-render when that
// slice changes identity. Updates replace objects rather than mutate them, so identity
// is the change signal (and Preact can skip what did not change).

import { useEffect, useState } from 'preact/hooks';

export class Store<T> {
  private listeners = new Set<() => void>();
  constructor(private state: T) {}

  get(): T {
    return this.state;
  }

  update(fn: (s: T) => T): void {
    const next = fn(this.state);
    if (next === this.state) return;
    this.state = next;
    for (const l of [...this.listeners]) l();
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

/** The part of a store's state that `select` picks, kept current. */
export function useStore<T, S>(store: Store<T>, select: (s: T) => S): S {
  const [value, setValue] = useState(() => select(store.get()));
  useEffect(() => {
    const sync = () => setValue(() => select(store.get()));
    sync(); // the store may have moved between render and subscribe
    return store.subscribe(sync);
  }, [store, select]);
  return value;
}
