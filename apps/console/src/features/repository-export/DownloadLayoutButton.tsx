import { Button, InlineNotification, Modal, ProgressBar, SkeletonText } from '@carbon/react';
import { Download } from '@carbon/react/icons';
import { apiPaths } from '@berth/contract';
import { useRef, useState } from 'react';
import { ApiError, toApiError } from '../../api/client';
import {
  downloadRepositoryLayout,
  useRepositoryExportPreview,
  type DownloadProgress,
  type DownloadSink,
} from '../../api/repository-export';
import { ErrorNotification } from '../../components/ErrorNotification';
import { formatBytes, pluralize } from '../../lib/format';
import './repository-export.scss';

/** The File System Access API where Chromium offers it; absent elsewhere (Firefox, Safari). */
interface SaveFilePicker {
  showSaveFilePicker?: (options: {
    suggestedName: string;
    types: { description: string; accept: Record<string, string[]> }[];
  }) => Promise<{
    name: string;
    createWritable(): Promise<{
      write(data: Uint8Array): Promise<void>;
      close(): Promise<void>;
      abort(): Promise<void>;
    }>;
  }>;
}

type Phase =
  | { kind: 'ready' }
  | { kind: 'downloading'; file: string; progress: DownloadProgress }
  | { kind: 'saved'; file: string; bytes: number }
  | { kind: 'handed-over'; file: string }
  | { kind: 'failed'; error: ApiError };

function fileNameFor(namespace: string, repository: string): string {
  return `${namespace}-${repository.replaceAll('/', '-')}.oci.tar`;
}

/**
 * "Download (OCI layout)": shows what the archive holds, then downloads it. Where the browser
 * can write to a file it lets the person pick (Chromium's showSaveFilePicker), the bytes are
 * streamed there with a progress bar and never held in the tab's memory; elsewhere the
 * browser's own download takes over (its downloads list shows the progress), since
 * collecting a multi-gigabyte archive in memory first would be worse than no progress bar.
 */
export function DownloadLayoutButton({
  namespace,
  repository,
}: {
  namespace: string;
  repository: string;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button kind="tertiary" size="md" renderIcon={Download} onClick={() => setOpen(true)}>
        Download (OCI layout)
      </Button>
      {open ? (
        <DownloadLayoutModal
          namespace={namespace}
          repository={repository}
          onClose={() => setOpen(false)}
        />
      ) : null}
    </>
  );
}

function DownloadLayoutModal({
  namespace,
  repository,
  onClose,
}: {
  namespace: string;
  repository: string;
  onClose: () => void;
}) {
  const preview = useRepositoryExportPreview(namespace, repository);
  const [phase, setPhase] = useState<Phase>({ kind: 'ready' });
  const abort = useRef<AbortController | null>(null);
  const fileName = fileNameFor(namespace, repository);
  const downloading = phase.kind === 'downloading';

  async function start() {
    const picker = (window as unknown as SaveFilePicker).showSaveFilePicker;
    if (!picker) {
      // A normal download: the browser streams it to disk and shows its progress.
      const link = document.createElement('a');
      link.href = apiPaths.repositoryExport(namespace, repository);
      link.download = fileName;
      document.body.append(link);
      link.click();
      link.remove();
      setPhase({ kind: 'handed-over', file: fileName });
      return;
    }
    let handle;
    try {
      handle = await picker({
        suggestedName: fileName,
        types: [
          { description: 'OCI image layout (tar)', accept: { 'application/x-tar': ['.tar'] } },
        ],
      });
    } catch (error) {
      // Cancelling the picker is a choice, not a failure.
      if (error instanceof DOMException && error.name === 'AbortError') return;
      setPhase({ kind: 'failed', error: toApiError(error) });
      return;
    }
    const writable = await handle.createWritable();
    const sink: DownloadSink = {
      write: (chunk) => writable.write(chunk),
      close: () => writable.close(),
      abort: () => writable.abort(),
    };
    const controller = new AbortController();
    abort.current = controller;
    const file = handle.name;
    setPhase({ kind: 'downloading', file, progress: { received: 0, total: 0 } });
    try {
      const done = await downloadRepositoryLayout(namespace, repository, sink, {
        signal: controller.signal,
        onProgress: (progress) => setPhase({ kind: 'downloading', file, progress }),
      });
      setPhase({ kind: 'saved', file, bytes: done.received });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') {
        setPhase({ kind: 'ready' });
        return;
      }
      setPhase({ kind: 'failed', error: toApiError(error) });
    } finally {
      abort.current = null;
    }
  }

  const finished = phase.kind === 'saved' || phase.kind === 'handed-over';
  return (
    <Modal
      open
      size="sm"
      modalHeading="Download as an OCI image layout"
      primaryButtonText={finished ? 'Done' : downloading ? 'Downloading…' : 'Download'}
      primaryButtonDisabled={downloading || preview.data === undefined}
      secondaryButtonText={downloading ? 'Cancel download' : 'Close'}
      onRequestSubmit={() => (finished ? onClose() : void start())}
      onSecondarySubmit={() => (downloading ? abort.current?.abort() : onClose())}
      onRequestClose={() => {
        abort.current?.abort();
        onClose();
      }}
      preventCloseOnClickOutside
    >
      <p className="berth-download__intro">
        One tar file with every live image of {namespace}/{repository}, their tags and their
        signatures and other referrers, in the standard OCI image layout that skopeo, podman and
        crane read. Images in the trash are not included.
      </p>
      {preview.isPending ? <SkeletonText paragraph lineCount={2} /> : null}
      {preview.error ? (
        <ErrorNotification
          error={preview.error}
          title="Cannot prepare the download"
          onRetry={() => void preview.refetch()}
        />
      ) : null}
      {preview.data ? (
        <dl className="berth-download__summary">
          <dt>Images</dt>
          <dd>
            {pluralize(preview.data.images, 'image')} ({pluralize(preview.data.tags, 'tag')})
          </dd>
          <dt>Download size</dt>
          <dd>{formatBytes(preview.data.archiveBytes)}</dd>
          <dt>File</dt>
          <dd>
            <code>{fileName}</code>
          </dd>
        </dl>
      ) : null}
      {phase.kind === 'downloading' ? (
        <ProgressBar
          className="berth-download__progress"
          label={`Saving to ${phase.file}`}
          value={phase.progress.received}
          max={Math.max(phase.progress.total, 1)}
          helperText={`${formatBytes(phase.progress.received)} of ${formatBytes(phase.progress.total)}`}
        />
      ) : null}
      {phase.kind === 'saved' ? (
        <InlineNotification
          kind="success"
          lowContrast
          hideCloseButton
          title="Download complete"
          subtitle={`Saved ${formatBytes(phase.bytes)} to ${phase.file}. Read it with: skopeo copy oci-archive:${phase.file}:${repository}:<tag> …`}
        />
      ) : null}
      {phase.kind === 'handed-over' ? (
        <InlineNotification
          kind="info"
          lowContrast
          hideCloseButton
          title="Download started"
          subtitle={`Your browser is saving ${phase.file}; its downloads list shows the progress.`}
        />
      ) : null}
      {phase.kind === 'failed' ? (
        <ErrorNotification error={phase.error} title="The download failed" />
      ) : null}
    </Modal>
  );
}
