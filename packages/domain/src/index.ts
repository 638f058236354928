export * from './names.js';
export * from './errors.js';
export * from './trash.js';
export * from './oci-manifest.js';
export * from './retention.js';
export * from './projects.js';
export * from './access.js';
export * from './quota.js';
