import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'conformance/**/*.test.ts'],
    // Store operations are synchronous SQLite work; a slow, shared machine still finishes well inside this.
    testTimeout: 30_000,
  },
})
