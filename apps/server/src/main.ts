import { loadConfig } from './config.js';
import { startServer } from './server.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

let running;
try {
  running = await startServer(config);
} catch (err) {
  // Start-up refusals (a wrong root key, a weak first-admin password…) are for the operator.
  console.error(`berth: ${(err as Error).message}`);
  process.exit(1);
}

// Graceful shutdown: stop accepting, let in-flight requests finish, close the database.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void running.close().then(() => process.exit(0));
  });
}
