import { useLayoutEffect, useRef } from 'preact/hooks';

/**
 * A ref whose element takes focus when it mounts, before the first paint. The HTML
 * `autofocus` attribute only counts once per page load, not for a form opened later.
 */
export function useAutoFocus<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useLayoutEffect(() => ref.current?.focus(), []);
  return ref;
}
