// Lints the OpenAPI document the server publishes: Redocly's `recommended` rules and Spectral's OWASP API
// Security ruleset (.spectral.yaml), each with 0 errors, or this exits non-zero. Run by `npm test`.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

// Under the project: Spectral reads the overrides' file patterns relative to .spectral.yaml.
// (a folder that .gitignore lists, removed again below).
const dir = mkdtempSync('openapi-lint-')
// The document as production serves it: an https PUBLIC_URL is its server.
const app = await buildApp(
  loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dir,
    PUBLIC_URL: 'https://stagedoor.example',
    JWT_SECRET: 'openapi-lint-only-'.padEnd(48, 'x'),
    LOG_LEVEL: 'silent',
    WORKERS_IN_PROCESS: 'false',
    MIGRATE_ON_START: 'false',
  }),
)
// The overrides in .spectral.yaml name this file: it must be called openapi.json.
const file = join(dir, 'openapi.json')
try {
  writeFileSync(file, (await app.inject({ method: 'GET', url: '/openapi.json' })).body)
} finally {
  await app.close()
}
let failed = false
for (const [cmd, args] of [
  ['redocly', ['lint', file, '--extends', 'recommended', '--format', 'summary']],
  [
    'spectral',
    ['lint', file, '--ruleset', '.spectral.yaml', '--fail-severity', 'error', '--display-only-failures'],
  ],
] as const) {
  try {
    execFileSync(join('node_modules', '.bin', cmd), [...args], { stdio: 'inherit' })
  } catch {
    failed = true
  }
}
rmSync(dir, { recursive: true, force: true })
if (failed) {
  console.error('The OpenAPI document has lint errors (above).')
  process.exit(1)
}
console.log('OpenAPI document: 0 errors from Redocly (recommended) and Spectral (OWASP).')
