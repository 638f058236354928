import { useEffect, useRef, useState } from 'react';

function findOpener(): HTMLElement | null {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || active === document.body) return null;
  // Opened from a row's menu: the item goes away with the menu, its (still open) button stays.
  if (active.getAttribute('role') === 'menuitem') {
    const trigger = document.querySelector('[aria-haspopup][aria-expanded="true"]');
    return trigger instanceof HTMLElement ? trigger : null;
  }
  return active;
}

/**
 * Modals here are mounted only while open, so Carbon cannot hand focus back to what opened
 * them. Remember the focused element at first render and return focus to it on close, when
 * it is still on the page (a deleted row's menu button is not; then the page keeps it).
 */
export function useReturnFocus(): void {
  const [opener] = useState(findOpener);
  // StrictMode runs effects twice in development: only a cleanup that is not followed by a
  // new mount is a close.
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      // After Carbon's own close handling; only when focus was lost with the modal.
      requestAnimationFrame(() => {
        const lost = !document.activeElement || document.activeElement === document.body;
        if (!mounted.current && lost && opener?.isConnected) opener.focus();
      });
    };
  }, [opener]);
}
