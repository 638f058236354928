export * from './common.js';
export * from './namespaces.js';
export * from './repositories.js';
export * from './images.js';
export * from './trash.js';
export * from './routes.js';
export * from './gc.js';
export * from './retention.js';
