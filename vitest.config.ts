import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    // Real servers, the Sanity CLI and Chromium are slower than unit code.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: keep heavy suites from starving each other.
    maxWorkers: 2,
  },
})
