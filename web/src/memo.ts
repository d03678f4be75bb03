// `memo` as preact/compat has it, without preact/compat: importing compat for this one
// function added 2.2 KB gzipped to the first load (benchmarks/RESULTS.md), these lines
// a few dozen bytes.

import { Component, h, type ComponentType, type FunctionComponent } from 'preact';

/**
 * The component, re-rendered by its parent only when a prop changed identity (a shallow
 * comparison). Its own state and hooks re-render it as usual.
 */
export function memo<P extends object>(Inner: FunctionComponent<P>): ComponentType<P> {
  return class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      const prev = this.props as P;
      for (const k in next) if (next[k] !== prev[k]) return true;
      for (const k in prev) if (!(k in next)) return true;
      return false;
    }
    override render(props: P) {
      return h(Inner, props);
    }
  };
}
