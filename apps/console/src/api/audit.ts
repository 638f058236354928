import { apiPaths, auditList } from '@berth/contract';
import { useCursorList } from './cursor-list';
import { apiRequest } from './client';
import { queryKeys, type AuditFilters } from './query-keys';

/** The filters as URL parameters, shared by the list and the CSV export link. */
export function auditSearchParams(filters: AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value) params.set(key, value);
  }
  return params;
}

/** The CSV export with the same filters: a plain download, which the session cookie authenticates. */
export function auditCsvUrl(filters: AuditFilters): string {
  const search = auditSearchParams(filters).toString();
  return search ? `${apiPaths.auditCsv()}?${search}` : apiPaths.auditCsv();
}

export function useAuditList(filters: AuditFilters) {
  return useCursorList({
    queryKey: queryKeys.audit.list(filters),
    fetchPage: (cursor, signal) =>
      apiRequest(apiPaths.audit(), auditList, { query: { ...filters, cursor }, signal }),
  });
}
