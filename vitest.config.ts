import { defineConfig } from 'vitest/config'

// Tests whose point is timing: races with their controls, crashes, faults, fleets of real processes and
// anything that starts servers. They run one file at a time, after the rest, so no other file takes the
// CPU they time. Every other file has a database of its own (test/global-setup.ts) and runs two at a time:
// most of their time is spent waiting on the database, hashes and timers, not on a core. Those files share
// their worker's modules (isolate: false): each builds its own app on its own database, nothing in src keeps
// state that one app could see of another's, and importing the app afresh for each file cost ~100 s a run.
const SERIAL = [
  'test/box-office/concurrency/**',
  'test/faults/**',
  'test/fleet/**',
  'test/jobs/**',
  'test/webhooks/**',
  'test/auth/password-hashing.test.ts',
  'test/platform/rate-limit.test.ts',
  'test/events/events-cache*.test.ts',
]

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          isolate: false,
          include: ['test/**/*.test.ts'],
          exclude: SERIAL,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'serial',
          include: SERIAL.map((glob) => (glob.endsWith('**') ? `${glob}/*.test.ts` : glob)),
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
