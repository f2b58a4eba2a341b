#!/usr/bin/env node
// Runs the compiled code when present (production images), else the TypeScript source through tsx.
// `stagedoor serve` goes straight to the server entry, not through the command line: a cluster primary then
// loads only what supervising needs, and each server process only what serving needs.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const compiled = existsSync(join(root, 'dist', 'cli.js'))
if (!compiled) {
  const { register } = await import('tsx/esm/api')
  register()
}
const file = (name) => (compiled ? join(root, 'dist', `${name}.js`) : join(root, 'src', `${name}.ts`))
if (process.argv[2] === 'serve' && process.argv.length === 3) {
  const { serve } = await import(pathToFileURL(file('server')).href)
  await serve()
} else {
  await import(pathToFileURL(file('cli')).href)
}
