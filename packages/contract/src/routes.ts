import type { z } from 'zod';
import { health } from './common.js';
import {
  createNamespaceBody,
  namespaceDeleted,
  namespaceDeletionPreview,
  namespaceList,
  namespaceListQuery,
  namespaceSummary,
  regionList,
  updateNamespaceBody,
} from './namespaces.js';
import {
  apiKeyList,
  changePasswordBody,
  createApiKeyBody,
  createdApiKey,
  createUserBody,
  loginBody,
  namespaceMember,
  namespaceMemberList,
  projectMember,
  projectMemberList,
  session,
  setNamespaceMemberBody,
  setProjectMemberBody,
  updateUserBody,
  user,
  userList,
} from './identity.js';
import { auditFilter, auditList, auditListQuery } from './audit.js';
import {
  deleteRepositoriesBody,
  repositoriesTrashed,
  repositoryList,
  repositoryListQuery,
} from './repositories.js';
import { deleteImagesBody, imageList, imageListQuery, imagesTrashed, untagged } from './images.js';
import { imageDetails } from './image-details.js';
import {
  restoreBody,
  restoreManyBody,
  restoreManyResult,
  restoreRepositoryBody,
  restoreResult,
  trashList,
  trashListQuery,
  trashRepositories,
  trashRepositoriesQuery,
} from './trash.js';
import { gcReport, gcRunBody } from './gc.js';
import { advisoryDataStatus } from './advisories.js';
import { backupStatus } from './backups.js';
import {
  findingList,
  findingsQuery,
  imageScan,
  namespaceVulnerabilities,
  registryVulnerabilities,
  registryVulnerabilitiesQuery,
  sbomAttached,
  scanExportQuery,
  scanRequested,
} from './scans.js';
import {
  retentionConfirmBody,
  retentionPolicy,
  retentionPolicyBody,
  retentionPreview,
  retentionPreviewBody,
  retentionPreviewItems,
  retentionPreviewItemsQuery,
  retentionPreviewRepositories,
  retentionPreviewRepositoriesQuery,
  retentionRun,
  retentionRunList,
  retentionRunListQuery,
  retentionRunRestored,
  retentionRunResult,
} from './retention.js';
import { operation, operationAccepted, operationList, operationListQuery } from './operations.js';
import { searchQuery, searchResults } from './search.js';
import { repositoryExportPreview } from './oci-export.js';

import {
  app,
  appBody,
  appList,
  appUpdateBody,
  configMap,
  configMapBody,
  configMapList,
  configMapUpdateBody,
  createProjectBody,
  job,
  jobBody,
  jobList,
  jobUpdateBody,
  projectDeleted,
  projectDeleteQuery,
  projectDeletionPreview,
  projectList,
  projectListQuery,
  projectSummary,
  secret,
  secretBody,
  secretList,
  secretUpdateBody,
} from './projects.js';

const seg = encodeURIComponent;

/**
 * Every /api/v1 path, built in one place. Repository names contain "/", so each
 * parameter is percent-encoded and the server decodes exactly one segment per parameter.
 */
export const apiPaths = {
  health: () => '/api/v1/health',
  regions: () => '/api/v1/regions',
  namespaces: () => '/api/v1/namespaces',
  namespace: (ns: string) => `/api/v1/namespaces/${seg(ns)}`,
  namespaceDeletionPreview: (ns: string) => `/api/v1/namespaces/${seg(ns)}/deletion-preview`,
  repositories: (ns: string) => `/api/v1/namespaces/${seg(ns)}/repositories`,
  repositoriesDelete: (ns: string) => `/api/v1/namespaces/${seg(ns)}/repositories/delete`,
  repository: (ns: string, repo: string) =>
    `/api/v1/namespaces/${seg(ns)}/repositories/${seg(repo)}`,
  images: (ns: string, repo: string) =>
    `/api/v1/namespaces/${seg(ns)}/repositories/${seg(repo)}/images`,
  image: (ns: string, repo: string, digest: string) =>
    `/api/v1/namespaces/${seg(ns)}/repositories/${seg(repo)}/images/${seg(digest)}`,
  imageManifest: (ns: string, repo: string, digest: string) =>
    `/api/v1/namespaces/${seg(ns)}/repositories/${seg(repo)}/images/${seg(digest)}/manifest`,
  /** The repository's live images as an OCI image layout tar (docs/export-import.md). */
  repositoryExport: (ns: string, repo: string) =>
    `/api/v1/namespaces/${seg(ns)}/repositories/${seg(repo)}/export`,
  repositoryExportPreview: (ns: string, repo: string) =>
    `/api/v1/namespaces/${seg(ns)}/repositories/${seg(repo)}/export/preview`,
  imagesDelete: (ns: string) => `/api/v1/namespaces/${seg(ns)}/images/delete`,
  tag: (ns: string, repo: string, tag: string) =>
    `/api/v1/namespaces/${seg(ns)}/repositories/${seg(repo)}/tags/${seg(tag)}`,
  trash: (ns: string) => `/api/v1/namespaces/${seg(ns)}/trash`,
  trashRepositories: (ns: string) => `/api/v1/namespaces/${seg(ns)}/trash/repositories`,
  trashRestore: (ns: string) => `/api/v1/namespaces/${seg(ns)}/trash/restore`,
  trashRestoreRepository: (ns: string) => `/api/v1/namespaces/${seg(ns)}/trash/restore-repository`,
  trashRestoreMany: (ns: string) => `/api/v1/namespaces/${seg(ns)}/trash/restore-many`,
  gcRuns: () => '/api/v1/gc/runs',
  advisories: () => '/api/v1/advisories',
  backups: () => '/api/v1/backups',
  vulnerabilities: () => '/api/v1/vulnerabilities',
  namespaceVulnerabilities: (ns: string) => `/api/v1/namespaces/${seg(ns)}/vulnerabilities`,
  imageScan: (ns: string, repo: string, digest: string) =>
    `/api/v1/namespaces/${seg(ns)}/repositories/${seg(repo)}/images/${seg(digest)}/scan`,
  imageFindings: (ns: string, repo: string, digest: string) =>
    `/api/v1/namespaces/${seg(ns)}/repositories/${seg(repo)}/images/${seg(digest)}/scan/findings`,
  imageFindingsCsv: (ns: string, repo: string, digest: string) =>
    `/api/v1/namespaces/${seg(ns)}/repositories/${seg(repo)}/images/${seg(digest)}/scan/findings.csv`,
  imageSbom: (ns: string, repo: string, digest: string) =>
    `/api/v1/namespaces/${seg(ns)}/repositories/${seg(repo)}/images/${seg(digest)}/scan/sbom`,
  imageSbomAttach: (ns: string, repo: string, digest: string) =>
    `/api/v1/namespaces/${seg(ns)}/repositories/${seg(repo)}/images/${seg(digest)}/scan/sbom/attach`,
  retentionPolicy: (ns: string) => `/api/v1/namespaces/${seg(ns)}/retention-policy`,
  retentionPreviews: (ns: string) => `/api/v1/namespaces/${seg(ns)}/retention/previews`,
  retentionPreview: (ns: string, id: string) =>
    `/api/v1/namespaces/${seg(ns)}/retention/previews/${seg(id)}`,
  retentionPreviewItems: (ns: string, id: string) =>
    `/api/v1/namespaces/${seg(ns)}/retention/previews/${seg(id)}/items`,
  retentionPreviewRepositories: (ns: string, id: string) =>
    `/api/v1/namespaces/${seg(ns)}/retention/previews/${seg(id)}/repositories`,
  retentionPreviewCsv: (ns: string, id: string) =>
    `/api/v1/namespaces/${seg(ns)}/retention/previews/${seg(id)}/csv`,
  retentionRuns: (ns: string) => `/api/v1/namespaces/${seg(ns)}/retention/runs`,
  retentionRun: (ns: string, id: string) =>
    `/api/v1/namespaces/${seg(ns)}/retention/runs/${seg(id)}`,
  retentionRunRestore: (ns: string, id: string) =>
    `/api/v1/namespaces/${seg(ns)}/retention/runs/${seg(id)}/restore`,
  projects: () => '/api/v1/projects',
  project: (id: string) => `/api/v1/projects/${seg(id)}`,
  projectDeletionPreview: (id: string) => `/api/v1/projects/${seg(id)}/deletion-preview`,
  projectRestore: (id: string) => `/api/v1/projects/${seg(id)}/restore`,
  /** kind: apps | jobs | secrets | config-maps */
  projectChildren: (id: string, kind: ProjectChildKind) => `/api/v1/projects/${seg(id)}/${kind}`,
  projectChild: (id: string, kind: ProjectChildKind, name: string) =>
    `/api/v1/projects/${seg(id)}/${kind}/${seg(name)}`,
  projectMembers: (id: string) => `/api/v1/projects/${seg(id)}/members`,
  projectMember: (id: string, username: string) =>
    `/api/v1/projects/${seg(id)}/members/${seg(username)}`,
  namespaceMembers: (ns: string) => `/api/v1/namespaces/${seg(ns)}/members`,
  namespaceMember: (ns: string, username: string) =>
    `/api/v1/namespaces/${seg(ns)}/members/${seg(username)}`,
  session: () => '/api/v1/session',
  sessionPassword: () => '/api/v1/session/password',
  apiKeys: () => '/api/v1/api-keys',
  apiKey: (id: string) => `/api/v1/api-keys/${seg(id)}`,
  users: () => '/api/v1/users',
  user: (username: string) => `/api/v1/users/${seg(username)}`,
  audit: () => '/api/v1/audit',
  auditCsv: () => '/api/v1/audit/csv',
  search: () => '/api/v1/search',
  operations: () => '/api/v1/operations',
  operation: (id: string) => `/api/v1/operations/${seg(id)}`,
};

/** The registry token endpoint (Docker token specification); outside /api, used by clients. */
export const REGISTRY_TOKEN_PATH = '/auth/token';

export type ProjectChildKind = 'apps' | 'jobs' | 'secrets' | 'config-maps';

export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI-style path template. */
  path: string;
  summary: string;
  query?: z.ZodType;
  body?: z.ZodType;
  response?: z.ZodType;
  status: number;
  /** When the work may outgrow one chunk: 202 with this body (an operation) and a Location. */
  accepted?: z.ZodType;
  /** Answers without credentials (health, sign-in). Every other route refuses anonymous callers. */
  anonymous?: true;
}

const NS = '/api/v1/namespaces/{namespace}';
const PROJECT = '/api/v1/projects/{projectId}';

/** The four project children share one CRUD shape: list, create, read, replace, delete. */
function projectChildRoutes(
  segment: ProjectChildKind,
  label: string,
  schemas: { item: z.ZodType; list: z.ZodType; create: z.ZodType; update: z.ZodType },
): RouteSpec[] {
  const one = `${PROJECT}/${segment}/{name}`;
  return [
    {
      method: 'get',
      path: `${PROJECT}/${segment}`,
      summary: `List ${label}s`,
      response: schemas.list,
      status: 200,
    },
    {
      method: 'post',
      path: `${PROJECT}/${segment}`,
      summary: `Create a ${label}`,
      body: schemas.create,
      response: schemas.item,
      status: 201,
    },
    { method: 'get', path: one, summary: `One ${label}`, response: schemas.item, status: 200 },
    {
      method: 'put',
      path: one,
      summary: `Replace a ${label}`,
      body: schemas.update,
      response: schemas.item,
      status: 200,
    },
    { method: 'delete', path: one, summary: `Delete a ${label}`, status: 204 },
  ];
}
const REPO = `${NS}/repositories/{repository}`;

function memberRoutes(
  base: string,
  list: z.ZodType,
  body: z.ZodType,
  item: z.ZodType,
): RouteSpec[] {
  return [
    { method: 'get', path: base, summary: 'Members and their roles', response: list, status: 200 },
    {
      method: 'put',
      path: `${base}/{username}`,
      summary: 'Add a member or change their role (manager)',
      body,
      response: item,
      status: 200,
    },
    {
      method: 'delete',
      path: `${base}/{username}`,
      summary: 'Remove a member (manager)',
      status: 204,
    },
  ];
}

/** The route table the OpenAPI document is generated from. */
export const apiRoutes: RouteSpec[] = [
  {
    method: 'get',
    path: '/api/v1/health',
    summary: 'Health check',
    response: health,
    status: 200,
    anonymous: true,
  },
  {
    method: 'post',
    path: '/api/v1/session',
    summary: 'Sign in: sets the session cookie and returns the CSRF token',
    body: loginBody,
    response: session,
    status: 200,
    anonymous: true,
  },
  {
    method: 'get',
    path: '/api/v1/session',
    summary: 'The signed-in user and the CSRF token',
    response: session,
    status: 200,
  },
  { method: 'delete', path: '/api/v1/session', summary: 'Sign out', status: 204 },
  {
    method: 'post',
    path: '/api/v1/session/password',
    summary: 'Change your password (ends your other sessions)',
    body: changePasswordBody,
    status: 204,
  },
  {
    method: 'get',
    path: '/api/v1/api-keys',
    summary: 'Your API keys',
    response: apiKeyList,
    status: 200,
  },
  {
    method: 'post',
    path: '/api/v1/api-keys',
    summary: 'Create an API key: the response is the only time the secret is shown',
    body: createApiKeyBody,
    response: createdApiKey,
    status: 201,
  },
  { method: 'delete', path: '/api/v1/api-keys/{keyId}', summary: 'Revoke an API key', status: 204 },
  {
    method: 'get',
    path: '/api/v1/users',
    summary: 'Users (admin)',
    response: userList,
    status: 200,
  },
  {
    method: 'post',
    path: '/api/v1/users',
    summary: 'Create a user with a temporary password (admin)',
    body: createUserBody,
    response: user,
    status: 201,
  },
  {
    method: 'patch',
    path: '/api/v1/users/{username}',
    summary: 'Make admin, disable, or reset the password of a user (admin)',
    body: updateUserBody,
    response: user,
    status: 200,
  },
  {
    method: 'get',
    path: '/api/v1/operations',
    summary: 'Operations (bulk work) the caller may see, newest first',
    query: operationListQuery,
    response: operationList,
    status: 200,
  },
  {
    method: 'get',
    path: '/api/v1/operations/{operation}',
    summary: 'An operation: its progress and, once ended, its result or error',
    response: operation,
    status: 200,
  },
  {
    method: 'get',
    path: '/api/v1/audit',
    summary: 'Audit log, newest first (admin)',
    query: auditListQuery,
    response: auditList,
    status: 200,
  },
  {
    method: 'get',
    path: '/api/v1/audit/csv',
    summary: 'Audit log as CSV, with the same filters (admin)',
    query: auditFilter,
    status: 200,
  },
  {
    method: 'get',
    path: '/api/v1/regions',
    summary: 'Configured regions',
    response: regionList,
    status: 200,
  },
  {
    method: 'get',
    path: '/api/v1/search',
    summary:
      'Namespaces, repositories, tags and digests that start with q, among those the caller may read',
    query: searchQuery,
    response: searchResults,
    status: 200,
  },
  {
    method: 'get',
    path: '/api/v1/namespaces',
    summary: 'List namespaces',
    query: namespaceListQuery,
    response: namespaceList,
    status: 200,
  },
  {
    method: 'post',
    path: '/api/v1/namespaces',
    summary: 'Create a namespace',
    body: createNamespaceBody,
    response: namespaceSummary,
    status: 201,
  },
  { method: 'get', path: NS, summary: 'One namespace', response: namespaceSummary, status: 200 },
  {
    method: 'patch',
    path: NS,
    summary: 'Change the quota or the public flag (manager)',
    body: updateNamespaceBody,
    response: namespaceSummary,
    status: 200,
  },
  ...memberRoutes(`${NS}/members`, namespaceMemberList, setNamespaceMemberBody, namespaceMember),
  ...memberRoutes(`${PROJECT}/members`, projectMemberList, setProjectMemberBody, projectMember),
  {
    method: 'get',
    path: `${NS}/deletion-preview`,
    summary: 'What deleting the namespace removes',
    response: namespaceDeletionPreview,
    status: 200,
  },
  {
    method: 'delete',
    path: NS,
    summary: 'Delete a namespace: immediate and irreversible',
    response: namespaceDeleted,
    status: 200,
    accepted: operationAccepted,
  },
  {
    method: 'get',
    path: `${NS}/repositories`,
    summary: 'List repositories',
    query: repositoryListQuery,
    response: repositoryList,
    status: 200,
  },
  {
    method: 'post',
    path: `${NS}/repositories/delete`,
    summary: 'Move every image of several repositories to the trash',
    body: deleteRepositoriesBody,
    response: repositoriesTrashed,
    status: 200,
    accepted: operationAccepted,
  },
  {
    method: 'delete',
    path: REPO,
    summary: 'Move every image of a repository to the trash',
    response: repositoriesTrashed,
    status: 200,
    accepted: operationAccepted,
  },
  {
    method: 'get',
    path: `${REPO}/images`,
    summary: 'List images of a repository',
    query: imageListQuery,
    response: imageList,
    status: 200,
  },
  {
    method: 'get',
    path: `${REPO}/images/{digest}`,
    summary:
      'One image (or platform image, or referrer): tags, platforms, config, layers, history, referrers, projects that use it, audit timeline',
    response: imageDetails,
    status: 200,
  },
  {
    method: 'get',
    path: `${REPO}/images/{digest}/manifest`,
    summary: 'The manifest exactly as pushed, with its media type as Content-Type',
    status: 200,
  },
  {
    method: 'delete',
    path: `${REPO}/images/{digest}`,
    summary: 'Move an image to the trash',
    response: imagesTrashed,
    status: 200,
  },
  {
    method: 'post',
    path: `${NS}/images/delete`,
    summary: 'Move several images to the trash in one transaction',
    body: deleteImagesBody,
    response: imagesTrashed,
    status: 200,
  },
  {
    method: 'delete',
    path: `${REPO}/tags/{tag}`,
    summary: 'Remove one tag (the image stays)',
    response: untagged,
    status: 200,
  },
  {
    method: 'get',
    path: `${NS}/trash`,
    summary: 'List the trash',
    query: trashListQuery,
    response: trashList,
    status: 200,
  },
  {
    method: 'get',
    path: `${NS}/trash/repositories`,
    summary: 'Repositories with images in the trash, by part of their name (suggestions)',
    query: trashRepositoriesQuery,
    response: trashRepositories,
    status: 200,
  },
  {
    method: 'post',
    path: `${NS}/trash/restore`,
    summary: 'Restore an image by digest or by tag',
    body: restoreBody,
    response: restoreResult,
    status: 200,
  },
  {
    method: 'post',
    path: `${NS}/trash/restore-repository`,
    summary:
      'Restore everything of a repository still in the trash (202 with an operation when it outgrows one chunk)',
    body: restoreRepositoryBody,
    response: restoreManyResult,
    status: 200,
  },
  {
    method: 'post',
    path: `${NS}/trash/restore-many`,
    summary: 'Restore up to 1000 selected images, all of them or none',
    body: restoreManyBody,
    response: restoreManyResult,
    status: 200,
  },
  {
    method: 'get',
    path: `${NS}/retention-policy`,
    summary: 'The scheduled retention policy (defaults until one is saved)',
    response: retentionPolicy,
    status: 200,
  },
  {
    method: 'put',
    path: `${NS}/retention-policy`,
    summary: 'Save the scheduled retention policy',
    body: retentionPolicyBody,
    response: retentionPolicy,
    status: 200,
  },
  {
    method: 'post',
    path: `${NS}/retention/previews`,
    summary: 'Preview a retention run: what each rule keeps and deletes, changing nothing',
    body: retentionPreviewBody,
    response: retentionPreview,
    status: 201,
  },
  {
    method: 'get',
    path: `${NS}/retention/previews/{previewId}`,
    summary: 'One retention preview',
    response: retentionPreview,
    status: 200,
  },
  {
    method: 'get',
    path: `${NS}/retention/previews/{previewId}/repositories`,
    summary: 'The repositories of a preview, most deletions first, a page at a time',
    query: retentionPreviewRepositoriesQuery,
    response: retentionPreviewRepositories,
    status: 200,
  },
  {
    method: 'get',
    path: `${NS}/retention/previews/{previewId}/items`,
    summary: 'The images of a preview with their decision and reason',
    query: retentionPreviewItemsQuery,
    response: retentionPreviewItems,
    status: 200,
  },
  {
    method: 'get',
    path: `${NS}/retention/previews/{previewId}/csv`,
    summary: 'The whole preview as CSV',
    status: 200,
  },
  {
    method: 'post',
    path: `${NS}/retention/runs`,
    summary: 'Confirm a preview: move its still-eligible deletions to the trash',
    body: retentionConfirmBody,
    response: retentionRunResult,
    status: 201,
    accepted: operationAccepted,
  },
  {
    method: 'get',
    path: `${NS}/retention/runs`,
    summary: 'Retention runs, newest first',
    query: retentionRunListQuery,
    response: retentionRunList,
    status: 200,
  },
  {
    method: 'get',
    path: `${NS}/retention/runs/{runId}`,
    summary: 'One retention run',
    response: retentionRun,
    status: 200,
  },
  {
    method: 'post',
    path: `${NS}/retention/runs/{runId}/restore`,
    summary: 'Restore every image a run deleted that is still in the trash',
    response: retentionRunRestored,
    status: 200,
  },
  {
    method: 'get',
    path: '/api/v1/projects',
    summary: 'Projects of a region (active or soft-deleted) and the region quota',
    query: projectListQuery,
    response: projectList,
    status: 200,
  },
  {
    method: 'post',
    path: '/api/v1/projects',
    summary: 'Create a project (refused when the region is at its limit)',
    body: createProjectBody,
    response: projectSummary,
    status: 201,
  },
  { method: 'get', path: PROJECT, summary: 'One project', response: projectSummary, status: 200 },
  {
    method: 'get',
    path: `${PROJECT}/deletion-preview`,
    summary: 'What deleting the project removes',
    response: projectDeletionPreview,
    status: 200,
  },
  {
    method: 'delete',
    path: PROJECT,
    summary: 'Soft-delete a project (restorable for 7 days), or with hard=true delete it now',
    query: projectDeleteQuery,
    response: projectDeleted,
    status: 200,
  },
  {
    method: 'post',
    path: `${PROJECT}/restore`,
    summary: 'Restore a soft-deleted project with everything it held',
    response: projectSummary,
    status: 200,
  },
  ...projectChildRoutes('apps', 'app', {
    item: app,
    list: appList,
    create: appBody,
    update: appUpdateBody,
  }),
  ...projectChildRoutes('jobs', 'job or job template', {
    item: job,
    list: jobList,
    create: jobBody,
    update: jobUpdateBody,
  }),
  ...projectChildRoutes('secrets', 'secret (values are write-only)', {
    item: secret,
    list: secretList,
    create: secretBody,
    update: secretUpdateBody,
  }),
  ...projectChildRoutes('config-maps', 'config map', {
    item: configMap,
    list: configMapList,
    create: configMapBody,
    update: configMapUpdateBody,
  }),
  {
    method: 'post',
    path: '/api/v1/gc/runs',
    summary: 'Run garbage collection now, or with dryRun report what it would remove',
    body: gcRunBody,
    response: gcReport,
    status: 200,
  },
  {
    method: 'get',
    path: '/api/v1/backups',
    summary:
      'Scheduled backups (administrators): the schedule, the last successful backup and recent runs',
    response: backupStatus,
    status: 200,
  },
  {
    method: 'get',
    path: '/api/v1/advisories',
    summary: 'How much advisory data vulnerability matching has, and how old it is',
    response: advisoryDataStatus,
    status: 200,
  },
  {
    method: 'get',
    path: '/api/v1/vulnerabilities',
    summary:
      "Vulnerability totals over the namespaces the caller may read, from each live image's newest scan, and each namespace's",
    query: registryVulnerabilitiesQuery,
    response: registryVulnerabilities,
    status: 200,
  },
  {
    method: 'get',
    path: `${NS}/vulnerabilities`,
    summary:
      "A namespace's vulnerability totals from each live image's newest scan, and its most affected repositories",
    response: namespaceVulnerabilities,
    status: 200,
  },
  {
    method: 'get',
    path: `${REPO}/images/{digest}/scan`,
    summary: "An image's vulnerability scan: its newest result (per platform for an index)",
    response: imageScan,
    status: 200,
  },
  {
    method: 'post',
    path: `${REPO}/images/{digest}/scan`,
    summary: 'Queue a vulnerability scan of an image (of each platform for an index)',
    response: scanRequested,
    status: 202,
  },
  {
    method: 'get',
    path: `${REPO}/images/{digest}/scan/findings`,
    summary: "The findings of an image's newest scan, most severe first, paged",
    query: findingsQuery,
    response: findingList,
    status: 200,
  },
  {
    method: 'get',
    path: `${REPO}/images/{digest}/scan/findings.csv`,
    summary: "Every finding of an image's newest scan as CSV",
    query: scanExportQuery,
    status: 200,
  },
  {
    method: 'get',
    path: `${REPO}/images/{digest}/scan/sbom`,
    summary: "The inventory of an image's newest scan as CycloneDX 1.5 JSON",
    query: scanExportQuery,
    status: 200,
  },
  {
    method: 'post',
    path: `${REPO}/images/{digest}/scan/sbom/attach`,
    summary:
      "Attach the inventory of an image's newest scan to it as an OCI referrer (CycloneDX; per platform for an index)",
    response: sbomAttached,
    status: 200,
  },
  {
    method: 'get',
    path: `${REPO}/export/preview`,
    summary: 'What downloading the repository as an OCI image layout holds: images, tags, bytes',
    response: repositoryExportPreview,
    status: 200,
  },
  {
    method: 'get',
    path: `${REPO}/export`,
    summary:
      "The repository's live images, tags and referrers as an OCI image layout tar (application/x-tar, Content-Length set)",
    status: 200,
  },
];
