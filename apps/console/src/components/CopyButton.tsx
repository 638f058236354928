import { CopyButton as CarbonCopyButton } from '@carbon/react';
import { copyText } from '../lib/clipboard';

interface CopyButtonProps {
  text: string;
  /** Accessible name, e.g. "Copy digest". */
  label: string;
}

export function CopyButton({ text, label }: CopyButtonProps) {
  return (
    <CarbonCopyButton
      className="berth-copy-button"
      iconDescription={label}
      aria-label={label}
      feedback="Copied"
      onClick={() => {
        void copyText(text);
      }}
    />
  );
}
