import { z } from 'zod';
import { isoDate } from './common.js';
import { projectRole } from './identity.js';

/**
 * Projects of the serverless platform: apps, jobs and job templates that point at images,
 * secrets (write-only: responses never carry a value) and config maps. Deleting a project
 * soft-deletes it for 7 days unless `hard=true`.
 */

const name = z.string().max(63);
const envValue = z.string().max(32 * 1024);
/** At most 100 entries in any map (env, secret data, config-map data). */
const MAX_ENTRIES = 100;
const stringMap = (value: z.ZodString) =>
  z
    .record(z.string().max(253), value)
    .refine((m) => Object.keys(m).length <= MAX_ENTRIES, `at most ${MAX_ENTRIES} entries`);

export const projectStatus = z.enum(['active', 'deleted']);
export type ProjectStatus = z.infer<typeof projectStatus>;

export const projectCounts = z.object({
  apps: z.number().int(),
  jobs: z.number().int(),
  secrets: z.number().int(),
  configMaps: z.number().int(),
});

export const projectSummary = z.object({
  id: z.string(),
  name: z.string(),
  region: z.string(),
  status: projectStatus,
  createdAt: isoDate,
  createdBy: z.string(),
  /** Set while soft-deleted: when, and when the sweeper deletes it for good. */
  deletedAt: isoDate.nullable(),
  purgeAt: isoDate.nullable(),
  counts: projectCounts,
  /** What the caller may do in this project. */
  role: projectRole,
});
export type ProjectSummary = z.infer<typeof projectSummary>;

/** "12 of 20 projects in us-south (2 deleted)": soft-deleted projects count. */
export const projectQuota = z.object({
  region: z.string(),
  limit: z.number().int(),
  used: z.number().int(),
  deleted: z.number().int(),
});
export type ProjectQuota = z.infer<typeof projectQuota>;

export const projectListQuery = z.object({
  region: z.string().max(64),
  status: projectStatus.default('active'),
});
export type ProjectListQuery = z.input<typeof projectListQuery>;

/** Not paged: a region holds at most its project limit (20 by default). */
export const projectList = z.object({ items: z.array(projectSummary), quota: projectQuota });
export type ProjectList = z.infer<typeof projectList>;

export const createProjectBody = z.strictObject({ name, region: z.string().max(64) });
export type CreateProjectBody = z.infer<typeof createProjectBody>;

export const projectDeleteQuery = z.object({
  hard: z.enum(['true', 'false']).default('false'),
  /** The console sends the typed name; a mismatch refuses the hard delete. */
  confirm: z.string().max(63).optional(),
  /** API/CLI only: a hard delete without `confirm`. Same as `hard=true`. */
  force: z.enum(['true', 'false']).default('false'),
});
export type ProjectDeleteQuery = z.input<typeof projectDeleteQuery>;

/** A project in a preview or delete result, where the caller's role is beside the point. */
const projectOnly = projectSummary.omit({ role: true });

export const projectDeletionPreview = z.object({
  project: projectOnly,
  apps: z.array(z.string()),
  jobs: z.array(z.object({ name: z.string(), kind: z.enum(['job', 'template']) })),
  secrets: z.array(z.string()),
  configMaps: z.array(z.string()),
  /** Images in this registry the project's apps and jobs point at: no longer protected once it goes. */
  images: z.array(z.string()),
});
export type ProjectDeletionPreview = z.infer<typeof projectDeletionPreview>;

export const projectDeleted = z.object({
  project: projectOnly,
  /** true: gone for good (and its data key destroyed); false: in Deleted projects. */
  permanent: z.boolean(),
});
export type ProjectDeleted = z.infer<typeof projectDeleted>;

/** Where a pointer leads: into this registry (present, in the trash, missing) or elsewhere. */
export const imagePointerState = z.enum(['present', 'trashed', 'missing', 'external']);
export type ImagePointerState = z.infer<typeof imagePointerState>;

export const imagePointerStatus = z.object({
  /** Canonical text, as stored. */
  pointer: z.string(),
  registry: z.string(),
  namespace: z.string(),
  repository: z.string(),
  tag: z.string().nullable(),
  digest: z.string().nullable(),
  state: imagePointerState,
  /** The digest the pointer resolves to here, when present or trashed. */
  resolvedDigest: z.string().nullable(),
});
export type ImagePointerStatus = z.infer<typeof imagePointerStatus>;

const workloadFields = {
  name: z.string(),
  image: imagePointerStatus,
  command: z.array(z.string()),
  env: z.record(z.string(), z.string()),
  cpu: z.number(),
  memoryMiB: z.number().int(),
  createdAt: isoDate,
  updatedAt: isoDate,
};

export const app = z.object(workloadFields);
export type App = z.infer<typeof app>;

export const jobKind = z.enum(['job', 'template']);
export type JobKind = z.infer<typeof jobKind>;
export const job = z.object({ ...workloadFields, kind: jobKind });
export type Job = z.infer<typeof job>;

const workloadBody = {
  image: z.string().max(512),
  command: z.array(z.string().max(4096)).max(64).default([]),
  env: stringMap(envValue).default({}),
  cpu: z.number().default(0.5),
  memoryMiB: z.number().default(1024),
};

export const appBody = z.strictObject({ name, ...workloadBody });
export type AppBody = z.input<typeof appBody>;
/** PUT replaces everything but the name. */
export const appUpdateBody = z.strictObject(workloadBody);
export type AppUpdateBody = z.input<typeof appUpdateBody>;

export const jobBody = z.strictObject({ name, kind: jobKind.default('job'), ...workloadBody });
export type JobBody = z.input<typeof jobBody>;
export const jobUpdateBody = z.strictObject({ kind: jobKind.default('job'), ...workloadBody });
export type JobUpdateBody = z.input<typeof jobUpdateBody>;

export const secretType = z.enum(['generic', 'registry']);
export type SecretType = z.infer<typeof secretType>;

/** What the API shows of a secret: its keys, or a registry's server and user, never a value. */
export const secret = z.object({
  name: z.string(),
  type: secretType,
  keys: z.array(z.string()),
  server: z.string().nullable(),
  username: z.string().nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type Secret = z.infer<typeof secret>;

const genericSecretData = {
  type: z.literal('generic'),
  data: stringMap(envValue).refine((m) => Object.keys(m).length > 0, 'needs at least one key'),
};
const registrySecretData = {
  type: z.literal('registry'),
  server: z.string().min(1).max(255),
  username: z.string().min(1).max(255),
  password: z.string().min(1).max(4096),
};

export const secretBody = z.discriminatedUnion('type', [
  z.strictObject({ name, ...genericSecretData }),
  z.strictObject({ name, ...registrySecretData }),
]);
export type SecretBody = z.input<typeof secretBody>;
/** PUT replaces every value; the type may not change. */
export const secretUpdateBody = z.discriminatedUnion('type', [
  z.strictObject(genericSecretData),
  z.strictObject(registrySecretData),
]);
export type SecretUpdateBody = z.input<typeof secretUpdateBody>;

export const configMap = z.object({
  name: z.string(),
  data: z.record(z.string(), z.string()),
  createdAt: isoDate,
  updatedAt: isoDate,
});
export type ConfigMap = z.infer<typeof configMap>;

export const configMapBody = z.strictObject({ name, data: stringMap(envValue) });
export type ConfigMapBody = z.input<typeof configMapBody>;
export const configMapUpdateBody = z.strictObject({ data: stringMap(envValue) });
export type ConfigMapUpdateBody = z.input<typeof configMapUpdateBody>;

export const appList = z.object({ items: z.array(app) });
export const jobList = z.object({ items: z.array(job) });
export const secretList = z.object({ items: z.array(secret) });
export const configMapList = z.object({ items: z.array(configMap) });
export type AppList = z.infer<typeof appList>;
export type JobList = z.infer<typeof jobList>;
export type SecretList = z.infer<typeof secretList>;
export type ConfigMapList = z.infer<typeof configMapList>;

/** Which project workloads use an image (images list, image delete modal). */
export const imageUse = z.object({
  projectId: z.string(),
  project: z.string(),
  region: z.string(),
  kind: z.enum(['app', 'job', 'template']),
  name: z.string(),
  /** A soft-deleted project still protects its images: it may be restored. */
  projectDeleted: z.boolean(),
});
export type ImageUse = z.infer<typeof imageUse>;
