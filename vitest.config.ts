import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'conformance/**/*.test.ts'],
    // PostgreSQL and MariaDB test servers: one per engine for the whole run, started on first use.
    globalSetup: ['src/storage/engine-servers-run.test-support.ts'],
    // Store operations are synchronous SQLite work; a slow, shared machine still finishes well inside this.
    testTimeout: 30_000,
    // Conformance cases against MLMD_TARGET share one store across files; some count global
    // listings (the newest N artifacts), so the files must not write to it concurrently.
    fileParallelism: !process.env.MLMD_TARGET,
  },
})
