import { describe, expect, it } from 'vitest';
import { parseRepositorySplat, routePaths } from './route-paths';

const digest = `sha256:${'ab'.repeat(32)}`;

describe('image page addresses', () => {
  it('put the digest after /-/images/, which no repository name can contain', () => {
    expect(routePaths.image('team-a', 'web/images/app', digest)).toBe(
      `/namespaces/team-a/repositories/web/images/app/-/images/${digest}`,
    );
  });

  it('read back the repository and digest they were built from', () => {
    for (const repository of ['app', 'web/images/app', 'a/b/c']) {
      const path = routePaths.image('team-a', repository, digest);
      const splat = path.slice('/namespaces/team-a/repositories/'.length);
      expect(parseRepositorySplat(splat)).toEqual({ repository, digest });
    }
  });

  it('leave a repository address a repository', () => {
    expect(parseRepositorySplat('web/images/app/')).toEqual({
      repository: 'web/images/app',
      digest: null,
    });
  });
});
