import { lazy, Suspense } from 'react';
import { useParams } from 'react-router';
import { parseRepositorySplat } from '../../app/route-paths';
import { ImagesPage } from './ImagesPage';
import { ImageDetailsSkeleton } from './image-details/ImageDetailsSkeleton';

// Its own chunk, as every page is: the images list does not carry the details page's code.
const ImageDetailsPage = lazy(async () => ({
  default: (await import('./image-details/ImageDetailsPage')).ImageDetailsPage,
}));

/** The repository's images, or one of its images when the address names a digest. */
export function RepositoryRoute() {
  const params = useParams();
  const { repository, digest } = parseRepositorySplat(params['*'] ?? '');
  if (digest === null) return <ImagesPage />;
  const namespace = params.namespace ?? '';
  return (
    <Suspense fallback={<ImageDetailsSkeleton />}>
      <ImageDetailsPage
        key={`${namespace}/${repository}@${digest}`}
        namespace={namespace}
        repository={repository}
        digest={digest}
      />
    </Suspense>
  );
}
