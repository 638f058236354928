import { CodeSnippet } from '@carbon/react';
import { pullReference } from '../../../lib/format';
import { useRegistryHost } from '../../../api/regions';

interface PullCommandsProps {
  namespace: string;
  repository: string;
  digest: string;
  tags: readonly string[];
}

/**
 * One command per tag and one by digest, with the registry host the images page uses. By
 * digest is what never changes under a deployment: a tag may be moved to another image.
 */
export function PullCommands({ namespace, repository, digest, tags }: PullCommandsProps) {
  const host = useRegistryHost();
  const commands = [
    ...tags.map((tag) => ({ label: `Tag ${tag}`, ref: tag })),
    { label: 'By digest', ref: digest },
  ];
  return (
    <ul className="berth-pull-commands">
      {commands.map(({ label, ref }, index) => {
        const id = `pull-command-${index}`;
        return (
          <li key={ref}>
            <span className="berth-pull__label" id={id}>
              {label}
            </span>
            {/* Multi-line so a long digest reference wraps instead of hiding behind a fade. */}
            <CodeSnippet
              type="multi"
              aria-labelledby={id}
              feedback="Copied"
              copyButtonDescription={`Copy pull command (${label.toLowerCase()})`}
              wrapText
            >
              {`docker pull ${pullReference(host, namespace, repository, ref)}`}
            </CodeSnippet>
          </li>
        );
      })}
    </ul>
  );
}
