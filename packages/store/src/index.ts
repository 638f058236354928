export * from './database.js';
export * from './connect.js';
export * from './store-handle.js';
export { openPostgres, type PostgresOptions } from './postgres/connect.js';
export { DatabaseLocationError, checkDatabaseUrl, parseDatabaseUrl } from './postgres/location.js';
export { takeFirstStartLock } from './postgres/start-lock.js';
export * from './context.js';
export * from './store.js';
export type {
  NamespaceRecord,
  NamespaceDeletionSummary,
  NamespaceVisibility,
  NamespaceChanges,
} from './namespaces-store.js';
export type { RepositoryRecord, RepositorySortKey } from './repositories-store.js';
export type {
  ImageRecord,
  ImageVulnerabilities,
  ImageSortKey,
  IngestManifest,
  IngestBlob,
  TrashedImageRecord,
} from './images-store.js';
export type { ImageDetailsRecord, ImageTimelineRecord } from './image-details-store.js';
export type { TrashRecord, RestoreRequest, RestoreOutcome } from './trash-store.js';
export type { AuditEvent, AuditQuery, AuditRecord } from './audit-store.js';
export { withRequestId } from './audit-context.js';
export { counterMismatches } from './counter-check.js';
export {
  LeaseLostError,
  appendOperationItemValues,
  createOperation,
  operationItemsAfter,
} from './operations/operations-store.js';
export {
  failRepositoryDelete,
  finishRepositoryDelete,
  repositoryDeleteChunk,
  repositoryDeleteItems,
  startRepositoryDelete,
} from './operations/repository-delete.js';
export type { RepositoriesTrashedResult } from './operations/repository-delete.js';
export {
  finishNamespaceDelete,
  namespaceDeleteChunk,
  startNamespaceDelete,
} from './operations/namespace-delete.js';
export {
  failRetentionRun,
  finishRetentionRun,
  retentionRunChunk,
} from './retention/retention-run-operation.js';
export { undoTrashingChunk } from './operations/trashing-undo.js';
export type {
  ChunkOutcome,
  ItemSource,
  ItemSourceParts,
  NewOperation,
  OperationItem,
  OperationListQuery,
  OperationRecord,
  OperationUndo,
  OperationVisibility,
  OperationsStore,
} from './operations/operations-store.js';
export * from './blobs/index.js';
export * from './bulk-load.js';
export { bulkLoadSyntheticPostgres } from './bulk-load-postgres.js';
export type { ManifestRef, StoredManifest, LinkOutcome } from './registry-store.js';
export type {
  PolicyRecord,
  PolicySettings,
  PreviewRecord,
  PreviewItemRecord,
  PreviewSummary,
  RunRecord,
  RunOutcome,
  RunImage,
} from './retention/retention-store.js';
export type { ImageUseRecord } from './projects/image-uses.js';
export type { ProjectCounts, ProjectRecord } from './projects/project-rows.js';
export type {
  NewProject,
  ProjectDeletionRecord,
  ProjectQuotaRecord,
} from './projects/projects-store.js';
export type { PurgedProject } from './projects/project-lifecycle.js';
export type { ProjectKeyRecord, WrappedProjectKey } from './projects/project-keys.js';
export type {
  BlobKeyClaim,
  BlobKeyWrap,
  ImageDataKeysStore,
  NamespaceKeyRecord,
  WrappedNamespaceKey,
} from './encryption/image-data-keys-store.js';
export type { PointerState, PointerStateName } from './projects/pointer-states.js';
export type { WorkloadFamily, WorkloadRecord, WorkloadSpec } from './projects/workloads-store.js';
export type {
  SealedSecretInput,
  SealedSecretRecord,
  SecretRecord,
  SecretType,
} from './projects/secrets-store.js';
export type { ConfigMapRecord } from './projects/config-maps-store.js';
export type { UserRecord, NewUser, UserChanges } from './identity/users-store.js';
export type { SessionRecord } from './identity/sessions-store.js';
export type { ApiKeyRecord, NewApiKey } from './identity/api-keys-store.js';
export type { MemberRecord } from './identity/members-store.js';
export type {
  NewUploadSession,
  UploadPartRecord,
  UploadProgress,
  UploadSessionRecord,
  UploadSessionsStore,
  UploadTailRecord,
} from './upload-sessions-store.js';
export * from './storage-full.js';
export * from './staging-owner.js';
export type { RestoredImage } from './trash-restore.js';
export { RESTORE_CHUNK, restoreTrashEntriesById } from './trash-restore.js';
export { nothingToRestore, runNotInTrash } from './trash-restore-errors.js';
export {
  addToRestoreTally,
  emptyRestoreTally,
  failRestoreOperation,
  finishRestoreOperation,
  restoreOperationChunk,
  startTrashRestore,
} from './trash-restore-operation.js';
export type { RestoreTally, TrashRestoreScope } from './trash-restore-operation.js';
export type { SignInFailuresStore } from './identity/sign-in-failures-store.js';
export {
  MoveRefusedError,
  checkTargetDatabaseEmpty,
  copyMetadata,
  holdSqliteExclusively,
  type CopyProgress,
} from './move/copy-metadata.js';
export {
  BlobCopyError,
  checkTargetBlobs,
  copyBlobs,
  type BlobCopyProgress,
  type BlobCopyResult,
} from './move/copy-blobs.js';
export type {
  AdvisoryBatchResult,
  AdvisoryDataStatus,
  AdvisoryImportSummary,
  StoredAdvisory,
} from './advisories/advisories-store.js';
export type {
  ClaimedScan,
  FindingsQuery,
  NewScanResult,
  ScanCounts,
  ScanFindingRow,
  ScanResultRecord,
  ScannedImage,
  StoredInventoryJson,
} from './scans/scans-store.js';
export type {
  NamespaceTotalsRecord,
  RegistryTotalsRecord,
  VulnerabilityTotals,
} from './scans/vulnerability-totals.js';
export { NO_FINDINGS, NO_IMAGES } from './scans/vulnerability-totals.js';
export {
  type BackupRunOutcome,
  type BackupRunRecord,
  type BackupRunState,
  type BackupRunsStore,
  createBackupRunsStore,
} from './backups/backup-runs-store.js';
