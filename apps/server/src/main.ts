import { ConfigError, checkConfig } from './config.js';
import { startServer } from './server.js';

let config;
try {
  // Everything is checked before anything is created: a refused start leaves no trace.
  config = await checkConfig();
} catch (err) {
  const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
  console.error(
    `berth: not starting, the configuration has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`} (nothing was created):\n${problems.map((p) => `  ${p}`).join('\n')}`,
  );
  process.exit(2);
}
process.umask(config.umask);

let running;
try {
  running = await startServer(config);
} catch (err) {
  // Start-up refusals (a wrong root key, another process starting on the data directory…)
  // are for the operator.
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
