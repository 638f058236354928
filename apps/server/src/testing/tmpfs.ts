// The small real tmpfs the store's tests use too: see @berth/store/testing.
export { mountTmpfs, tmpfsUnavailable, type Tmpfs } from '@berth/store/testing';
