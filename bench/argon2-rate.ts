// argon2id alone: how many verifications per second this machine does with the server's parameters on all its
// cores (the ceiling for POST /auth/login). Usage: npx tsx bench/argon2-rate.ts [seconds=10]
// Each core gets its own libuv thread (UV_THREADPOOL_SIZE = cores, set before the pool starts) and two
// verifications are kept in flight per core. The cores are those the server counts (src/lib/cores.ts): a
// container's CPU limit binds, as it binds the server's own hash pool.
import { usableCores } from '../src/lib/cores.js'

const cores = usableCores()
process.env.UV_THREADPOOL_SIZE = String(cores)
const { hashPassword, verifyPassword } = await import('../src/lib/passwords.js')

const seconds = Number(process.argv[2] ?? 10)
const hash = await hashPassword('bench-password-123')
// Warm-up: the pool's threads start and the first allocations happen.
await Promise.all(Array.from({ length: cores }, () => verifyPassword(hash, 'bench-password-123')))
let done = 0
const end = performance.now() + seconds * 1000
async function lane() {
  while (performance.now() < end) {
    if (!(await verifyPassword(hash, 'bench-password-123'))) throw new Error('verification failed')
    done++
  }
}
const start = performance.now()
await Promise.all(Array.from({ length: cores * 2 }, lane))
const elapsed = (performance.now() - start) / 1000
console.log(
  `argon2id alone: ${(done / elapsed).toFixed(1)} verifications/s on ${cores} cores (${done} in ${elapsed.toFixed(1)} s)`,
)
