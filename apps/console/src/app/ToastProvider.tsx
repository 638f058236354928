import { ActionableNotification, ToastNotification } from '@carbon/react';
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

export interface Toast {
  kind: 'success' | 'error' | 'info' | 'warning';
  title: string;
  subtitle?: ReactNode;
  /** A toast with an action (Undo) stays until it is used or closed: no timing pressure. */
  action?: { label: string; onClick: () => void };
}

interface ToastEntry extends Toast {
  id: number;
}

interface ToastApi {
  show: (toast: Toast) => number;
  dismiss: (id: number) => void;
}

const ToastContext = createContext<ToastApi | null>(null);
const AUTO_DISMISS_MS = 8000;
let nextId = 1;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<ToastEntry[]>([]);
  const dismiss = useCallback((id: number) => {
    setToasts((current) => current.filter((toast) => toast.id !== id));
  }, []);
  const show = useCallback((toast: Toast) => {
    const id = nextId++;
    setToasts((current) => [...current, { ...toast, id }]);
    return id;
  }, []);
  const api = useMemo(() => ({ show, dismiss }), [show, dismiss]);

  return (
    <ToastContext.Provider value={api}>
      {children}
      <div className="berth-toasts" aria-live="polite">
        {toasts.map((toast) =>
          toast.action ? (
            <ActionableNotification
              key={toast.id}
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
                dismiss(toast.id);
                toast.action?.onClick();
              }}
              onClose={() => {
                dismiss(toast.id);
                return false;
              }}
            />
          ) : (
            <ToastNotification
              key={toast.id}
              kind={toast.kind}
              title={toast.title}
              lowContrast
              // Errors stay until read; confirmations go away on their own.
              timeout={toast.kind === 'error' || toast.kind === 'warning' ? 0 : AUTO_DISMISS_MS}
              onClose={() => {
                dismiss(toast.id);
                return false;
              }}
            >
              {toast.subtitle ? <div className="berth-toast-body">{toast.subtitle}</div> : null}
            </ToastNotification>
          ),
        )}
      </div>
    </ToastContext.Provider>
  );
}

export function useToasts(): ToastApi {
  const api = useContext(ToastContext);
  if (!api) throw new Error('useToasts must be used inside <ToastProvider>');
  return api;
}
