import { Accordion, AccordionItem, InlineLoading } from '@carbon/react';
import { useState } from 'react';
import { useImageManifest } from '../../../api/image-details';
import { CopyButton } from '../../../components/CopyButton';
import { ErrorNotification } from '../../../components/ErrorNotification';

/** Indented for reading; copying takes the bytes as pushed, whose digest is the image's. */
function readable(bytes: string): string {
  try {
    return JSON.stringify(JSON.parse(bytes), null, 2);
  } catch {
    return bytes;
  }
}

interface ManifestSectionProps {
  namespace: string;
  repository: string;
  digest: string;
}

export function ManifestSection({ namespace, repository, digest }: ManifestSectionProps) {
  const [open, setOpen] = useState(false);
  const manifest = useImageManifest(namespace, repository, digest, open);
  return (
    <section className="berth-section" aria-labelledby="image-manifest">
      <h2 className="berth-section__title" id="image-manifest">
        Manifest
      </h2>
      <Accordion>
        <AccordionItem
          title="Manifest JSON"
          open={open}
          onHeadingClick={({ isOpen }: { isOpen: boolean }) => setOpen(isOpen)}
        >
          {manifest.isPending ? (
            <InlineLoading description="Loading the manifest…" />
          ) : manifest.error ? (
            <ErrorNotification error={manifest.error} onRetry={() => void manifest.refetch()} />
          ) : (
            <div className="berth-manifest">
              <div className="berth-manifest__actions">
                <span className="berth-muted">
                  Copy takes the exact bytes as pushed ({manifest.data.length.toLocaleString()}{' '}
                  bytes): their sha256 is the digest.
                </span>
                <CopyButton text={manifest.data} label="Copy manifest JSON" />
              </div>
              {/* Focusable so keyboard users can scroll it (axe: scrollable-region-focusable). */}
              <pre className="berth-manifest__json" tabIndex={0} aria-label="Manifest JSON">
                {readable(manifest.data)}
              </pre>
            </div>
          )}
        </AccordionItem>
      </Accordion>
    </section>
  );
}
