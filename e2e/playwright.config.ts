// Browser journeys: the real server (`src/server.ts`) on a fresh embedded database in a temporary DATA_DIR,
// driven by Debian's chromium (Playwright's own browser download is not used). `npm run test:e2e`.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConfig } from '@playwright/test'

// Set once by the runner; its workers inherit the environment, so they read the same mail folder.
process.env.E2E_PORT ??= '3555'
process.env.E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'stagedoor-e2e-'))
// The admin the CLI creates before the server starts (admin.spec.ts signs in as it).
process.env.E2E_ADMIN_EMAIL ??= 'e2e-admin@example.com'
process.env.E2E_ADMIN_PASSWORD ??= 'Journey-admin-2026'
const port = process.env.E2E_PORT
const baseURL = `http://127.0.0.1:${port}`

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  // One server, one database: journeys run one after another.
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  outputDir: join(tmpdir(), 'stagedoor-e2e-results'),
  use: {
    baseURL,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
    trace: 'off',
  },
  webServer: {
    command: `npx tsx src/cli.ts create-admin --email ${process.env.E2E_ADMIN_EMAIL} --username e2eadmin --password ${process.env.E2E_ADMIN_PASSWORD} && npx tsx src/server.ts`,
    cwd: '..',
    url: `${baseURL}/health/ready`,
    timeout: 180_000,
    reuseExistingServer: false,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      NODE_ENV: 'development',
      PORT: port,
      HOST: '127.0.0.1',
      DATA_DIR: process.env.E2E_DATA_DIR,
      PUBLIC_URL: baseURL,
      LOG_LEVEL: 'warn',
      JOBS_POLL_INTERVAL: '0.5',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000',
      MAX_EVENT_LOOP_DELAY: '0',
    },
  },
})
