// Static assets, built in memory at start-up (no build step): the stylesheet is Pico CSS followed by our own
// rules; scripts are plain files beside this one. Each is served under a name carrying its content hash, so it
// is cached for a year and a change is a new URL.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

export interface Asset {
  name: string
  url: string
  type: string
  body: Buffer
  gzip: Buffer
}

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

function build(): Map<string, Asset> {
  const sources = new Map<string, Buffer>()
  const pico = readFileSync(require.resolve('@picocss/pico/css/pico.min.css'))
  sources.set(
    'site.css',
    Buffer.concat([pico, Buffer.from('\n'), readFileSync(join(here, 'assets/site.css'))]),
  )
  for (const file of readdirSync(join(here, 'assets'))) {
    if (file.endsWith('.js') || file.endsWith('.svg'))
      sources.set(file, readFileSync(join(here, 'assets', file)))
  }
  const assets = new Map<string, Asset>()
  const add = (name: string, body: Buffer) => {
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 12)
    const dot = name.indexOf('.')
    const url = `/assets/${name.slice(0, dot)}.${hash}${name.slice(dot)}`
    const type = name.endsWith('.css')
      ? 'text/css; charset=utf-8'
      : name.endsWith('.svg')
        ? 'image/svg+xml'
        : 'text/javascript; charset=utf-8'
    assets.set(name, { name, url, type, body, gzip: gzipSync(body, { level: 9 }) })
  }
  for (const [name, body] of sources) add(name, body)
  // The camera scanner of the check-in page (qr-scanner, an ES module) as published; it imports its decoder
  // worker by a relative name, which is pointed at the worker's hashed URL.
  const vendor = (file: string) => readFileSync(require.resolve(`qr-scanner/${file}`))
  add('qr-scanner-worker.min.js', vendor('qr-scanner-worker.min.js'))
  const worker = assets.get('qr-scanner-worker.min.js')!.url
  const scanner = vendor('qr-scanner.min.js').toString('utf8')
  const workerImport = '"./qr-scanner-worker.min.js"'
  if (!scanner.includes(workerImport)) throw new Error('qr-scanner no longer imports its worker by that name')
  add('qr-scanner.min.js', Buffer.from(scanner.replace(workerImport, JSON.stringify(worker))))
  return assets
}

export const assets = build()
export const assetsByUrl = new Map([...assets.values()].map((a) => [a.url, a]))

/** The hashed URL of an asset (`site.css`, `messages.js`). */
export function assetUrl(name: string): string {
  const asset = assets.get(name)
  if (!asset) throw new Error(`No asset named ${name}`)
  return asset.url
}
