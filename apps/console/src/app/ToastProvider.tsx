import { ActionableNotification, Button, FeatureFlags, ToastNotification } from '@carbon/react';
import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { pluralize } from '../lib/format';
import { useMediaQuery } from '../lib/use-media-query';
import { MAX_SHOWN, MAX_SHOWN_NARROW, toastLifetime, visibleToasts } from './toast-rules';

export interface Toast {
  kind: 'success' | 'error' | 'info' | 'warning';
  title: string;
  subtitle?: ReactNode;
  /**
   * Undo and similar. Such a toast goes away after a while like the others (the trash and
   * Deleted projects keep offering the same restore), just later.
   */
  action?: { label: string; onClick: () => void };
  /**
   * Names what the toast is about (e.g. `project-deleted:<id>`), so it can be taken away
   * when that changes elsewhere; a new toast with the same key replaces the old one.
   */
  key?: string;
}

interface ToastEntry extends Toast {
  id: number;
}

interface ToastApi {
  show: (toast: Toast) => number;
  dismiss: (id: number) => void;
  /** Takes away the toast about `key`, if one is showing. */
  dismissKey: (key: string) => void;
  /** Takes away every toast whose key passes `test` (see trashedToastCovers). */
  dismissWhere: (test: (key: string) => boolean) => void;
}

const ToastContext = createContext<ToastApi | null>(null);
let nextId = 1;

/**
 * Counts a toast's lifetime only while someone could be reading it: not while the pointer
 * or focus is in it, nor while the tab is hidden.
 */
function useExpiry(lifetimeMs: number | null, onExpire: () => void) {
  const [paused, setPaused] = useState(false);
  const left = useRef(lifetimeMs ?? 0);
  const expire = useRef(onExpire);
  expire.current = onExpire;

  useEffect(() => {
    if (lifetimeMs === null || paused) return;
    let since = Date.now();
    let timer = window.setTimeout(() => expire.current(), left.current);
    const stop = () => {
      window.clearTimeout(timer);
      left.current -= Date.now() - since;
    };
    const onVisibility = () => {
      if (document.hidden) return stop();
      since = Date.now();
      timer = window.setTimeout(() => expire.current(), left.current);
    };
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      document.removeEventListener('visibilitychange', onVisibility);
      if (!document.hidden) stop();
    };
  }, [lifetimeMs, paused]);

  return {
    onMouseEnter: () => setPaused(true),
    onMouseLeave: () => setPaused(false),
    onFocus: () => setPaused(true),
    onBlur: () => setPaused(false),
  };
}

function ToastView({ toast, onDismiss }: { toast: ToastEntry; onDismiss: () => void }) {
  const pause = useExpiry(toastLifetime(toast), onDismiss);
  return (
    <div className="berth-toast" {...pause}>
      {toast.action ? (
        // Without the flag Carbon adds two invisible "Focus sentinel" tab stops around the
        // toast, for a focus trap that role="status" never uses.
        <FeatureFlags enableFocusWrapWithoutSentinels>
          <ActionableNotification
            kind={toast.kind}
            title={toast.title}
            subtitle={toast.subtitle}
            actionButtonLabel={toast.action.label}
            hasFocus={false}
            // Carbon's default role, alertdialog, traps Tab inside the toast.
            role="status"
            // The toast variant stacks its action under the close button; inline lays it out.
            inline
            lowContrast
            closeOnEscape={false}
            onActionButtonClick={() => {
              onDismiss();
              toast.action?.onClick();
            }}
            onClose={() => {
              onDismiss();
              return false;
            }}
          />
        </FeatureFlags>
      ) : (
        <ToastNotification
          kind={toast.kind}
          title={toast.title}
          lowContrast
          // The expiry above decides; Carbon's own timer cannot pause.
          timeout={0}
          onClose={() => {
            onDismiss();
            return false;
          }}
        >
          {toast.subtitle ? <div className="berth-toast-body">{toast.subtitle}</div> : null}
        </ToastNotification>
      )}
    </div>
  );
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<ToastEntry[]>([]);
  const [expanded, setExpanded] = useState(false);
  const dismiss = useCallback((id: number) => {
    setToasts((current) => current.filter((toast) => toast.id !== id));
  }, []);
  const dismissKey = useCallback((key: string) => {
    setToasts((current) => current.filter((toast) => toast.key !== key));
  }, []);
  const dismissWhere = useCallback((test: (key: string) => boolean) => {
    setToasts((current) => current.filter((toast) => toast.key === undefined || !test(toast.key)));
  }, []);
  const show = useCallback((toast: Toast) => {
    const id = nextId++;
    setToasts((current) => [
      { ...toast, id },
      ...current.filter((old) => toast.key === undefined || old.key !== toast.key),
    ]);
    return id;
  }, []);
  const api = useMemo(
    () => ({ show, dismiss, dismissKey, dismissWhere }),
    [show, dismiss, dismissKey, dismissWhere],
  );
  // Carbon's md breakpoint, where the toasts span the screen (styles.scss).
  const narrow = useMediaQuery('(max-width: 41.98rem)');
  const { shown, hidden } = visibleToasts(toasts, expanded, narrow ? MAX_SHOWN_NARROW : MAX_SHOWN);

  useEffect(() => {
    if (toasts.length === 0) setExpanded(false);
  }, [toasts.length]);

  return (
    <ToastContext.Provider value={api}>
      {children}
      <div className="berth-toasts" aria-live="polite">
        {shown.map((toast) => (
          <ToastView key={toast.id} toast={toast} onDismiss={() => dismiss(toast.id)} />
        ))}
        {hidden > 0 || expanded ? (
          <Button
            kind="ghost"
            size="sm"
            className="berth-toasts__more"
            onClick={() => setExpanded((open) => !open)}
          >
            {expanded ? 'Show only the newest' : `Show ${pluralize(hidden, 'older notification')}`}
          </Button>
        ) : null}
      </div>
    </ToastContext.Provider>
  );
}

export function useToasts(): ToastApi {
  const api = useContext(ToastContext);
  if (!api) throw new Error('useToasts must be used inside <ToastProvider>');
  return api;
}
