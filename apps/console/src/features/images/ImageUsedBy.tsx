import { Toggletip, ToggletipButton, ToggletipContent } from '@carbon/react';
import type { ImageUse } from '@berth/contract';
import { Link } from 'react-router';
import { routePaths } from '../../app/route-paths';
import { pluralize } from '../../lib/format';

const KIND: Record<ImageUse['kind'], string> = { app: 'app', job: 'job', template: 'job template' };

/** "app web in shop", and whether that project is only waiting out its 7 days. */
export function describeUse(use: ImageUse): string {
  return `${KIND[use.kind]} ${use.name} in ${use.project}${use.projectDeleted ? ' (deleted project)' : ''}`;
}

export function projectCount(uses: readonly ImageUse[]): number {
  return new Set(uses.map((use) => use.projectId)).size;
}

/**
 * The list itself, for the toggletip and the delete modal. Carbon's inline notification may
 * hold no interactive content, so there the project names are plain text.
 */
export function ImageUseList({
  uses,
  linked = true,
}: {
  uses: readonly ImageUse[];
  linked?: boolean;
}) {
  return (
    <ul className="berth-uses">
      {uses.map((use) => (
        <li key={`${use.projectId}/${use.kind}/${use.name}`}>
          {KIND[use.kind]} <strong>{use.name}</strong> in{' '}
          {linked ? (
            <Link to={routePaths.project(use.projectId)} className="cds--link">
              {use.project}
            </Link>
          ) : (
            <strong>{use.project}</strong>
          )}
          <span className="berth-muted">
            {' '}
            ({use.region}
            {use.projectDeleted ? ', deleted project' : ''})
          </span>
        </li>
      ))}
    </ul>
  );
}

/** A compact "2 projects" that opens the list of the apps and jobs using the image. */
export function ImageUsedBy({ uses }: { uses: readonly ImageUse[] }) {
  if (uses.length === 0) return <span className="berth-muted">—</span>;
  const text = pluralize(projectCount(uses), 'project');
  return (
    <Toggletip align="bottom-right" autoAlign>
      <ToggletipButton
        label={`Used by ${text}: show which apps and jobs`}
        className="berth-used-by"
      >
        {text}
      </ToggletipButton>
      <ToggletipContent>
        <p className="berth-uses__title">Used by {pluralize(uses.length, 'workload')}</p>
        <ImageUseList uses={uses} />
      </ToggletipContent>
    </Toggletip>
  );
}
