import { describe, expect, it } from 'vitest';
import {
  checkCpu,
  checkDataKey,
  checkEnvName,
  checkMemory,
  checkResourceName,
  formatImagePointer,
  isLocalRegistry,
  parseImagePointer,
  MAX_PROJECT_CHILDREN,
  projectChildLimitMessage,
  projectLimitMessage,
  projectPurgeAt,
} from './projects.js';

const D = 'sha256:' + 'a'.repeat(64);

describe('parseImagePointer', () => {
  it('reads registry, namespace, repository and tag', () => {
    expect(parseImagePointer('localhost:8080/team-a/web/api:1.2')).toEqual({
      ok: true,
      pointer: {
        registry: 'localhost:8080',
        namespace: 'team-a',
        repository: 'web/api',
        tag: '1.2',
        digest: null,
      },
    });
  });

  it('reads a digest, and keeps a tag given beside it', () => {
    const byDigest = parseImagePointer(`registry.example.com/team/app@${D}`);
    expect(byDigest).toMatchObject({ ok: true, pointer: { tag: null, digest: D } });
    const both = parseImagePointer(`registry.example.com/team/app:v1@${D}`);
    expect(both).toMatchObject({ ok: true, pointer: { tag: 'v1', digest: D, repository: 'app' } });
  });

  it('defaults to the latest tag like every client', () => {
    expect(parseImagePointer('registry.example.com/team/app')).toMatchObject({
      ok: true,
      pointer: { tag: 'latest', digest: null },
    });
  });

  it('does not take a registry port for a tag', () => {
    expect(parseImagePointer('reg.example.com:5000/team/app')).toMatchObject({
      ok: true,
      pointer: { registry: 'reg.example.com:5000', tag: 'latest' },
    });
  });

  it.each([
    ['', 'must not be empty'],
    ['team/app:1', 'is not a registry host'],
    ['app', 'must be <registry>/<namespace>/<repository>'],
    ['registry.example.com/app:1', 'needs a namespace and a repository'],
    ['registry.example.com/team/:1', 'needs a namespace and a repository'],
    ['registry.example.com/Team/app', 'namespace must be'],
    ['registry.example.com/team/App', 'repository must be'],
    ['registry.example.com/team/app:-bad', 'tag must be'],
    ['registry.example.com/team/app@sha256:abc', 'digest must be'],
    ['registry.example.com/team/app :1', 'must not contain spaces'],
    ['bad_host/team/app', 'is not a registry host'],
    ['r.example.com/team/' + 'a'.repeat(600), 'at most 512 characters'],
  ])('refuses %j', (input, reason) => {
    const result = parseImagePointer(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('formats back to the same text', () => {
    for (const text of [
      'localhost:8080/team-a/web/api:1.2',
      `r.example.com/team/app@${D}`,
      `r.example.com/team/app:v1@${D}`,
    ]) {
      const parsed = parseImagePointer(text);
      if (!parsed.ok) throw new Error(parsed.reason);
      expect(formatImagePointer(parsed.pointer)).toBe(text);
    }
  });
});

describe('isLocalRegistry', () => {
  it('matches configured hosts without case, and a port is part of the host', () => {
    expect(isLocalRegistry('LocalHost:8080', ['localhost:8080'])).toBe(true);
    expect(isLocalRegistry('localhost', ['localhost:8080'])).toBe(false);
    expect(isLocalRegistry('registry.example.com', ['localhost:8080'])).toBe(false);
  });
});

describe('names and sizes', () => {
  it('takes DNS labels as resource names', () => {
    expect(checkResourceName('web-shop').ok).toBe(true);
    expect(checkResourceName('a').ok).toBe(true);
    for (const bad of ['', '-web', 'web-', 'Web', 'web_shop', 'a'.repeat(64)]) {
      expect(checkResourceName(bad).ok, bad).toBe(false);
    }
  });

  it('bounds cpu to steps of 1/8 and memory to whole MiB', () => {
    expect(checkCpu(0.125).ok).toBe(true);
    expect(checkCpu(32).ok).toBe(true);
    expect(checkCpu(0.1).ok).toBe(false);
    expect(checkCpu(33).ok).toBe(false);
    expect(checkCpu(Number.NaN).ok).toBe(false);
    expect(checkMemory(128).ok).toBe(true);
    expect(checkMemory(127).ok).toBe(false);
    expect(checkMemory(512.5).ok).toBe(false);
    expect(checkMemory(131073).ok).toBe(false);
  });

  it('checks environment names and data keys', () => {
    expect(checkEnvName('DATABASE_URL').ok).toBe(true);
    expect(checkEnvName('_x1').ok).toBe(true);
    expect(checkEnvName('1X').ok).toBe(false);
    expect(checkEnvName('A-B').ok).toBe(false);
    expect(checkDataKey('config.yaml').ok).toBe(true);
    expect(checkDataKey('..').ok).toBe(false);
    expect(checkDataKey('a/b').ok).toBe(false);
    expect(checkDataKey('').ok).toBe(false);
  });
});

describe('soft delete and the region limit', () => {
  it('purges 7 days after the deletion', () => {
    const at = Date.UTC(2026, 0, 28, 10);
    expect(projectPurgeAt(at)).toBe(Date.UTC(2026, 1, 4, 10));
  });

  it('names the soft-deleted projects that still count, sorted', () => {
    const message = projectLimitMessage('us-south', 20, [
      { name: 'zeta', purgeAt: 2 },
      { name: 'alpha', purgeAt: 1 },
    ]);
    expect(message).toContain('region us-south already has 20 of 20 projects');
    expect(message).toContain('counting 2 soft-deleted projects ("alpha", "zeta")');
    expect(message).toContain('delete one of them permanently');
  });

  it('says how to free a slot when none is soft-deleted', () => {
    expect(projectLimitMessage('local', 3, [])).toBe(
      'region local already has 3 of 3 projects; delete a project to create another',
    );
    expect(projectLimitMessage('local', 3, [{ name: 'old', purgeAt: 1 }])).toContain(
      'counting 1 soft-deleted project ("old"); delete it permanently',
    );
  });
});

describe('children per project', () => {
  it('caps each kind at 200 and says which kind is full', () => {
    expect(MAX_PROJECT_CHILDREN).toBe(200);
    expect(projectChildLimitMessage('shop', 'config map')).toBe(
      'project "shop" already has 200 config maps, the most a project holds; delete one to add another',
    );
  });
});
