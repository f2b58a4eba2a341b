// The rate-limit counter store: Redis when it answers (every instance shares the counters), this process's
// own counters while it does not. A Redis outage must never switch the limits off (the auth limits above all):
// each instance then limits on its own, which is stricter per instance than nothing at all.
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit'
import type { Redis } from 'ioredis'

interface Result {
  current: number
  ttl: number
}
type Callback = (err: Error | null, result?: Result) => void

// INCR and the window's expiry in one round trip; the window starts with the first hit.
const SCRIPT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) ttl = tonumber(ARGV[1]) end
return {current, ttl}`

/** Fixed-window counters in this process, pruned as they expire (bounded by the keys seen in one window). */
export class LocalCounters {
  private readonly windows = new Map<string, { count: number; resetAt: number }>()
  private nextPrune = 0

  incr(key: string, timeWindow: number, now = Date.now()): Result {
    if (now >= this.nextPrune) this.prune(now, timeWindow)
    let w = this.windows.get(key)
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + timeWindow }
      this.windows.set(key, w)
    }
    w.count++
    return { current: w.count, ttl: w.resetAt - now }
  }

  private prune(now: number, timeWindow: number) {
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key)
    this.nextPrune = now + timeWindow
  }
}

/** Builds the store class @fastify/rate-limit instantiates; `onFallback` hears when Redis fails a count. */
export function fallbackStore(
  redis: Redis | null,
  nameSpace: string,
  onFallback: (err: Error) => void,
): FastifyRateLimitStoreCtor {
  const local = new LocalCounters()
  class Store implements FastifyRateLimitStore {
    private readonly prefix: string
    // The plugin constructs the store with its options object; children are built here with their prefix.
    constructor(prefix?: unknown) {
      this.prefix = typeof prefix === 'string' ? prefix : nameSpace
    }

    incr(key: string, cb: Callback, timeWindow: number): void {
      const fullKey = this.prefix + key
      if (!redis) {
        cb(null, local.incr(fullKey, timeWindow))
        return
      }
      const fallback = (err: Error) => {
        onFallback(err)
        cb(null, local.incr(fullKey, timeWindow))
      }
      if (redis.status !== 'ready') {
        fallback(new Error(`redis is ${redis.status}`))
        return
      }
      redis.eval(SCRIPT, 1, fullKey, timeWindow).then((value) => {
        const [current, ttl] = value as [number, number]
        cb(null, { current, ttl })
      }, fallback)
    }

    child(routeOptions: { routeInfo?: { method: string; url: string }; method?: unknown; url?: string }) {
      const info = routeOptions.routeInfo ?? {
        method: String(routeOptions.method),
        url: routeOptions.url ?? '',
      }
      return new Store(`${this.prefix}${info.method}${info.url}-`)
    }
  }
  return Store as unknown as FastifyRateLimitStoreCtor
}
