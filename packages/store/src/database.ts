import type { Generated, Kysely } from 'kysely';

/**
 * Table types. Times are integer milliseconds since the epoch so that sorting and keyset
 * comparisons are plain integer comparisons on every dialect.
 */
export interface RegionsTable {
  name: string;
  created_at: number;
}

export interface NamespacesTable {
  id: Generated<number>;
  name: string;
  region: string;
  quota_bytes: number | null;
  public: Generated<number>;
  // Maintained counters: listing pages never aggregate over images.
  repository_count: Generated<number>;
  image_count: Generated<number>;
  size_bytes: Generated<number>;
  trash_count: Generated<number>;
  trash_size_bytes: Generated<number>;
  created_at: number;
  /** 1 while a namespace delete empties it: hidden from every listing (migration 0008). */
  deleting: Generated<number>;
}

export interface RepositoriesTable {
  id: Generated<number>;
  namespace_id: number;
  name: string;
  image_count: Generated<number>;
  size_bytes: Generated<number>;
  last_pushed_at: Generated<number>;
  created_at: number;
  /** When a blob was last unlinked from it, null if never (migration 0013). */
  blobs_unlinked_at: Generated<number | null>;
}

export type ManifestState = 'live' | 'trashed';

export interface ManifestsTable {
  id: Generated<number>;
  repository_id: number;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  manifest_size: number;
  /** manifest + config + layers (+ children for an index). */
  size_bytes: number;
  created_at: number | null;
  /** created_at, or 0 when the config has none: a non-null key for keyset sorting. */
  created_sort: number;
  pushed_at: number;
  subject_digest: string | null;
  platform_os: string | null;
  platform_architecture: string | null;
  platform_variant: string | null;
  /** 1 unless it is a referrer or a child of an index: what listings call an image. */
  top_level: number;
  state: ManifestState;
  /** 1 when live and top-level; the images-list indexes lead with it. */
  listed: number;
  trash_entry_id: number | null;
  /** The exact manifest bytes as pushed (null only for synthetic benchmark rows). */
  content: Uint8Array | null;
  /** Bumped by every push, tag change, trash and restore: retention confirms only unchanged images. */
  revision: Generated<number>;
  /** A cosign tag signature (`sha256-<hex>.sig` …): the digest of the image it signs. */
  signs_digest: string | null;
  /** What that tag signature is: `signature`, `attestation` or `sbom`. */
  signs_kind: string | null;
}

export interface ManifestChildrenTable {
  parent_id: number;
  child_id: number;
  /** Where the index lists the child (its `manifests` order). */
  position: Generated<number>;
}

export interface TagsTable {
  repository_id: number;
  name: string;
  manifest_id: number;
  updated_at: number;
}

export interface BlobsTable {
  digest: string;
  size: number;
  media_type: string | null;
  created_at: number;
  /** 1 while garbage collection removes the file; pushes wait for the row to go. */
  deleting: Generated<number>;
}

/** A repository may read a blob only once it uploaded, mounted or referenced it. */
export interface RepositoryBlobsTable {
  repository_id: number;
  digest: string;
  /** Refreshed by uploads, mounts and existence checks: GC spares links younger than its grace. */
  touched_at: number;
}

export interface ManifestBlobsTable {
  manifest_id: number;
  blob_digest: string;
}

export interface TrashEntriesTable {
  id: Generated<number>;
  namespace_id: number;
  repository_id: number;
  manifest_id: number;
  digest: string;
  media_type: string;
  /** JSON array of the tags the image held when it was deleted. */
  tags: string;
  size_bytes: number;
  deleted_at: number;
  expires_at: number;
  reason: string;
  actor: string;
  retention_run_id: number | null;
  /** The trashing operation whose chunk made it, so a failed one can be undone (0014). */
  operation_id: Generated<number | null>;
}

export interface TrashTagsTable {
  trash_entry_id: number;
  /** The manifest that held the tag: the image, or one of its signatures or platform images. */
  manifest_id: number | null;
  repository_id: number;
  tag: string;
  deleted_at: number;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  details: string | null;
  request_id: string | null;
}

export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  admin: number;
  disabled: number;
  must_change_password: number;
  created_at: number;
  last_login_at: number | null;
}

export interface SignInFailuresTable {
  /** `account:<name>` or `address:<ip>`. */
  key: string;
  at: number;
}

export interface JobSlotsTable {
  job: string;
  slot: number;
  claimed_by: string;
  claimed_at: number;
}

export interface SessionsTable {
  token_hash: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  secret_hash: string;
  access: string;
  namespaces: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface NamespaceMembersTable {
  namespace_id: number;
  user_id: string;
  role: string;
  added_at: number;
  added_by: string;
}

export interface ProjectMembersTable {
  project_id: string;
  user_id: string;
  role: string;
  added_at: number;
  added_by: string;
}

export interface RetentionPoliciesTable {
  namespace_id: number;
  keep_count: number;
  retain_untagged: number;
  /** JSON arrays of patterns. */
  exclude_tags: string;
  exclude_repositories: string;
  /** RetentionRules.protectUnscannedDays: null when the scan protection is off. */
  protect_unscanned_days: number | null;
  enabled: number;
  daily_at: string;
  next_run_at: number | null;
  updated_at: number;
  updated_by: string;
}

export interface RetentionPreviewsTable {
  id: string;
  namespace_id: number;
  rules: string;
  created_at: number;
  expires_at: number;
  created_by: string;
  run_id: number | null;
  summary: string;
  items: Uint8Array;
}

export type RetentionRunStatus = 'running' | 'succeeded' | 'failed';

export interface RetentionRunsTable {
  id: Generated<number>;
  namespace_id: number;
  trigger: 'preview' | 'schedule';
  actor: string;
  preview_id: string | null;
  rules: string;
  scheduled_for: number | null;
  status: RetentionRunStatus;
  claimed_by: string | null;
  lease_until: number | null;
  started_at: number;
  finished_at: number | null;
  deleted_images: Generated<number>;
  deleted_bytes: Generated<number>;
  reclaim_bytes: Generated<number>;
  skipped_images: Generated<number>;
  details: string | null;
  error: string | null;
}

export type ProjectStatus = 'active' | 'deleted';

export interface ProjectsTable {
  id: string;
  region: string;
  name: string;
  status: ProjectStatus;
  created_at: number;
  created_by: string;
  deleted_at: number | null;
  deleted_by: string | null;
  purge_at: number | null;
  /** Fingerprint of the root key that wrapped data_key. */
  key_id: string;
  /** The project's data key wrapped by the root key (nonce | ciphertext | tag). */
  data_key: Uint8Array;
}

export type WorkloadKind = 'app' | 'job' | 'template';

export interface ProjectWorkloadsTable {
  project_id: string;
  /** 'app', or 'job' for jobs and job templates (which share names). */
  family: 'app' | 'job';
  kind: WorkloadKind;
  name: string;
  image: string;
  image_registry: string;
  image_namespace: string;
  image_repository: string;
  image_tag: string | null;
  image_digest: string | null;
  command: string;
  env: string;
  cpu: number;
  memory_mib: number;
  created_at: number;
  updated_at: number;
}

export interface ProjectSecretsTable {
  project_id: string;
  name: string;
  id: string;
  type: 'generic' | 'registry';
  keys: string;
  server: string | null;
  username: string | null;
  sealed: Uint8Array;
  created_at: number;
  updated_at: number;
}

export interface ProjectConfigMapsTable {
  project_id: string;
  name: string;
  data: string;
  created_at: number;
  updated_at: number;
}

/** One row once the first start of the data directory finished (migration 0007). */
export interface FirstStartTable {
  id: number;
  completed_at: number;
}

export type OperationRowState = 'running' | 'succeeded' | 'failed';

/** Bulk work recorded so that it runs in chunks and a crash resumes it (migration 0008). */
export interface OperationsTable {
  id: Generated<number>;
  kind: string;
  namespace: string;
  namespace_id: number | null;
  target: string;
  state: OperationRowState;
  done: Generated<number>;
  total: Generated<number>;
  actor: string;
  params: string;
  progress: string | null;
  result: string | null;
  error: string | null;
  request_id: string | null;
  started_at: number;
  updated_at: number;
  finished_at: number | null;
  claimed_by: string | null;
  lease_until: number | null;
  /** While the set is being filled in pieces: where the filling has got to (JSON); else null. */
  fill: string | null;
  /** Once a failed operation is being undone, and after: JSON OperationUndo (0014); else null. */
  undo: Generated<string | null>;
}

/** The set an operation works on, fixed when it starts, in the order it is worked. */
export interface OperationItemsTable {
  operation_id: number;
  seq: number;
  item_id: number;
  /** What the item must still be (a manifest's revision at the preview), or null. */
  revision: number | null;
}

/**
 * A registry upload staged as an S3 multipart upload (migration 0018). `parts` is JSON
 * UploadPartRecord[]; `hash_state` the running hash's resumable state, base64.
 */
export interface UploadSessionsTable {
  id: string;
  repository: string;
  algorithm: string;
  started_at: number;
  updated_at: number;
  offset_bytes: Generated<number>;
  one_shot: Generated<number>;
  s3_upload_id: string | null;
  parts: Generated<string>;
  hash_state: string;
  tail_key: string | null;
  tail_bytes: Generated<number>;
  owner: string | null;
  lease_until: number | null;
  revision: Generated<number>;
  /** JSON { key, header } of a session encrypted as it arrives (migration 0027); null: plaintext. */
  encryption: string | null;
}

/** An imported OSV advisory: see migrations/0022-advisories.ts. */
export interface AdvisoriesTable {
  id: string;
  modified: number;
  published: number | null;
  withdrawn: number | null;
  summary: string;
  details: string;
  /** JSON array of other ids (CVE-…, GHSA-…). */
  aliases: string;
  severity: string;
  score: number | null;
  /** JSON array of the record's `affected` entries that Berth can match. */
  affected: string;
  imported_at: number;
}

export interface AdvisoryPackagesTable {
  ecosystem: string;
  name: string;
  advisory_id: string;
}

export interface AdvisoryImportsTable {
  id: Generated<number>;
  finished_at: number;
  source: string;
  added: number;
  updated: number;
  unchanged: number;
  skipped: number;
}

/** An image waiting to be scanned: see migrations/0022-vulnerabilities.ts. */
export interface ScanRequestsTable {
  manifest_id: number;
  requested_at: number;
  reason: string;
  claimed_by: string | null;
  claimed_until: number | null;
  attempts: Generated<number>;
}

export interface ScanResultsTable {
  id: Generated<number>;
  /** With digest: an id SQLite may give again once the image is purged. */
  manifest_id: number;
  namespace: string;
  repository: string;
  digest: string;
  generated_at: number;
  expires_at: number;
  status: 'complete' | 'failed';
  error: string | null;
  distro: string | null;
  packages: number;
  critical: number;
  high: number;
  medium: number;
  low: number;
  unknown: number;
  fixable: number;
  inventory: string;
  /** JSON array of what the scan could not read, in words; null when it read everything. */
  notes: string | null;
}

export interface ScanFindingsTable {
  result_id: number;
  package: number;
  advisory_id: string;
  severity: string;
  score: number | null;
  fixed: string | null;
  summary: string;
}

/** A namespace's data key, wrapped by a root key (migration 0025). */
export interface NamespaceKeysTable {
  namespace_id: number;
  /** Fingerprint of the root key that wrapped it. */
  root_key_id: string;
  /** base64 */
  wrapped_key: string;
  created_at: number;
  rewrapped_at: number | null;
}

export interface EncryptedBlobsTable {
  digest: string;
  created_at: number;
}

/** A blob's data key wrapped by the key of one namespace that holds the blob. */
export interface BlobKeyWrapsTable {
  namespace_id: number;
  digest: string;
  /** base64 */
  wrapped_key: string;
}

export interface ImageDataEncryptionTable {
  id: number;
  enabled: number;
  decided_at: number;
}

export interface Database {
  regions: RegionsTable;
  namespaces: NamespacesTable;
  repositories: RepositoriesTable;
  manifests: ManifestsTable;
  manifest_children: ManifestChildrenTable;
  tags: TagsTable;
  blobs: BlobsTable;
  manifest_blobs: ManifestBlobsTable;
  repository_blobs: RepositoryBlobsTable;
  trash_entries: TrashEntriesTable;
  trash_tags: TrashTagsTable;
  audit_events: AuditEventsTable;
  retention_policies: RetentionPoliciesTable;
  retention_previews: RetentionPreviewsTable;
  retention_runs: RetentionRunsTable;
  projects: ProjectsTable;
  project_workloads: ProjectWorkloadsTable;
  project_secrets: ProjectSecretsTable;
  project_config_maps: ProjectConfigMapsTable;
  users: UsersTable;
  sessions: SessionsTable;
  sign_in_failures: SignInFailuresTable;
  job_slots: JobSlotsTable;
  api_keys: ApiKeysTable;
  namespace_members: NamespaceMembersTable;
  project_members: ProjectMembersTable;
  first_start: FirstStartTable;
  operations: OperationsTable;
  operation_items: OperationItemsTable;
  upload_sessions: UploadSessionsTable;
  advisories: AdvisoriesTable;
  advisory_packages: AdvisoryPackagesTable;
  advisory_imports: AdvisoryImportsTable;
  scan_requests: ScanRequestsTable;
  scan_results: ScanResultsTable;
  scan_findings: ScanFindingsTable;
  namespace_keys: NamespaceKeysTable;
  encrypted_blobs: EncryptedBlobsTable;
  blob_key_wraps: BlobKeyWrapsTable;
  image_data_encryption: ImageDataEncryptionTable;
}

export type Db = Kysely<Database>;
