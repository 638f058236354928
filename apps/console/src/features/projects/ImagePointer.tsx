import { Tag } from '@carbon/react';
import type { ImagePointerState, ImagePointerStatus } from '@berth/contract';
import { Link } from 'react-router';
import { routePaths } from '../../app/route-paths';

const STATES: Record<
  ImagePointerState,
  { label: string; type: 'green' | 'magenta' | 'red' | 'cool-gray'; help: string }
> = {
  present: { label: 'Present', type: 'green', help: 'The image is in this registry.' },
  trashed: {
    label: 'In trash',
    type: 'magenta',
    help: 'The image is in the trash of its namespace: restore it, or this workload cannot start once the trash is emptied.',
  },
  missing: {
    label: 'Missing',
    type: 'red',
    help: 'This registry has no such image: push it, or point at another one.',
  },
  external: {
    label: 'External',
    type: 'cool-gray',
    help: 'The image is in another registry; Berth cannot check it.',
  },
};

export function ImageStateTag({ state }: { state: ImagePointerState }) {
  const { label, type, help } = STATES[state];
  return (
    <Tag type={type} size="sm" title={help} className="berth-pointer-state">
      {label}
    </Tag>
  );
}

/**
 * Where an app or job points: the pointer as stored, what it leads to in words, and a link
 * to the image (or to the trash holding it) when it is in this registry.
 */
export function ImagePointer({ image }: { image: ImagePointerStatus }) {
  const href =
    image.state === 'present'
      ? routePaths.images(image.namespace, image.repository)
      : image.state === 'trashed'
        ? routePaths.trash(image.namespace, image.repository)
        : null;
  const code = <code title={image.pointer}>{image.pointer}</code>;
  return (
    <span className="berth-pointer">
      {href ? (
        <Link
          to={href}
          className="cds--link"
          aria-label={`${image.pointer}: ${image.state === 'present' ? 'open the image' : 'open the trash'}`}
        >
          {code}
        </Link>
      ) : (
        code
      )}
      <ImageStateTag state={image.state} />
    </span>
  );
}
