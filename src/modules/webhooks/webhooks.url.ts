// The SSRF guard of webhook URLs: only http(s) to public addresses, checked when an endpoint is saved and
// again when a delivery connects (the name may resolve elsewhere by then).
import type { LookupAddress } from 'node:dns'
import { promises as dns } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import ipaddr from 'ipaddr.js'
import type { Config } from '../../config.js'
import { AppError, invalid } from '../../lib/errors.js'

/** Every address a host name resolves to. */
export type Resolver = (host: string) => Promise<LookupAddress[]>

export const systemResolver: Resolver = (host) => dns.lookup(host, { all: true, verbatim: true })

/**
 * The deprecated IPv4-compatible IPv6 addresses (`::a.b.c.d`, RFC 4291 §2.5.5.1), which ipaddr.js counts as
 * unicast: a host that still routes them reaches the IPv4 address they carry (`::127.0.0.1`, `::a9fe:a9fe`), and
 * no public service is reached through them, so the whole range is refused.
 */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96')

/**
 * True for a public unicast address only: loopback, private, link-local, unique-local, multicast, unspecified,
 * carrier-grade NAT, documentation, NAT64, IPv4-compatible and the other special ranges are not. An IPv4-mapped
 * IPv6 address is judged as the IPv4 address it carries.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false
  const parsed = ipaddr.process(address)
  if (parsed.kind() === 'ipv6' && parsed.match(IPV4_COMPATIBLE)) return false
  return parsed.range() === 'unicast'
}

/** A port past 65535 in a URL that did not parse: the usual reason it did not. */
const PORT_OUT_OF_RANGE =
  /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*:(\d{6,}|6553[6-9]|655[4-9]\d|65[6-9]\d\d|6[6-9]\d{3}|[7-9]\d{4})(?:[/?#]|$)/i

const forbidden = (detail: string) => new AppError('WEBHOOK_URL_FORBIDDEN', detail)

/** The host of a URL as net.connect sees it (an IPv6 literal without its brackets). */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1')
}

/**
 * Refuses a URL that does not parse or carries a user name or password (400 VALIDATION_FAILED at `body.url`), and
 * (400 WEBHOOK_URL_FORBIDDEN) one that is not http(s) or whose host is, or resolves to, any address
 * that is not public; WEBHOOKS_ALLOW_PRIVATE=true lets private addresses through. A name that does not
 * resolve is refused too: there is nothing to check it against.
 */
export async function checkWebhookUrl(
  config: Pick<Config, 'WEBHOOKS_ALLOW_PRIVATE'>,
  raw: string,
  resolve: Resolver = systemResolver,
): Promise<void> {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw invalid(
      'body.url',
      PORT_OUT_OF_RANGE.test(raw) ? 'is not a valid URL (a port is 1–65535)' : 'is not a valid absolute URL',
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw forbidden('Only http and https URLs')
  // Shown in every list of the owner's webhooks and in the logs: a credential does not belong in it. The
  // receiver checks the signature made with the endpoint's secret instead.
  if (url.username !== '' || url.password !== '') {
    throw invalid('body.url', 'must not contain a user name or password: verify the signature instead')
  }
  if (config.WEBHOOKS_ALLOW_PRIVATE) return
  const host = hostOf(url)
  if (isIP(host)) {
    if (!isPublicAddress(host)) throw forbidden(`${host} is not a public address`)
    return
  }
  let addresses: LookupAddress[]
  try {
    addresses = await resolve(host)
  } catch {
    throw forbidden(`${host} does not resolve`)
  }
  if (addresses.length === 0) throw forbidden(`${host} does not resolve`)
  const refused = addresses.find((a) => !isPublicAddress(a.address))
  if (refused) throw forbidden(`${host} resolves to ${refused.address}, which is not a public address`)
}

export class ForbiddenAddressError extends Error {
  override name = 'ForbiddenAddressError'
  readonly code = 'WEBHOOK_URL_FORBIDDEN'
}

/**
 * net.connect's `lookup` for a delivery: resolves through `resolve` and refuses to connect when any answer is
 * not a public address, so a name re-pointed at an internal address after the URL was checked is caught where
 * it matters; `allowPrivate` (WEBHOOKS_ALLOW_PRIVATE) only resolves. (A literal address never reaches
 * `lookup`; `assertPublicHost` covers it.)
 */
export function guardedLookup(resolve: Resolver, allowPrivate = false): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        const refused = allowPrivate ? undefined : all.find((a) => !isPublicAddress(a.address))
        if (refused) {
          callback(new ForbiddenAddressError(`${hostname} resolves to ${refused.address}`), '', 4)
          return
        }
        const wanted = options.family ? all.filter((a) => a.family === options.family) : all
        const first = wanted[0]
        if (!first) {
          const err: NodeJS.ErrnoException = new Error(`${hostname} does not resolve`)
          err.code = 'ENOTFOUND'
          callback(err, '', 4)
          return
        }
        // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily).
        if (options.all) (callback as (e: null, a: LookupAddress[]) => void)(null, wanted)
        else callback(null, first.address, first.family)
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 4),
    )
  }
}

/** Throws ForbiddenAddressError for a URL whose host is a literal non-public address. */
export function assertPublicHost(url: URL): void {
  const host = hostOf(url)
  if (isIP(host) && !isPublicAddress(host)) throw new ForbiddenAddressError(`${host} is not a public address`)
}
