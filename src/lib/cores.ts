// The cores this process may use: the CPUs it may run on (`os.availableParallelism`, the affinity mask), and no
// more than a container's CPU limit. Node 20's libuv (1.46) does not read that limit: in a container given 2 CPUs
// on a 64-core host it answers 64, and each server process would start 32 argon2id hashes at once (19 MiB each)
// where 1 fits. libuv 1.49 (Node 22) reads it as this does.
//
// The limit is the cgroup's CPU bandwidth quota: cgroup v2's `cpu.max` ("max 100000" or "200000 100000"), or
// v1's `cpu.cfs_quota_us` (-1: none) over `cpu.cfs_period_us`. It is read for this process's cgroup (from
// `/proc/self/cgroup`) and each cgroup above it, as Rust's `available_parallelism` does: the lowest quota
// binds. A fraction rounds down (2.5 CPUs: 2), never below 1.
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { posix } from 'node:path'

/** A file's text, or undefined when it cannot be read (absent, or no cgroup file system). */
function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** Whole CPUs a `quota` of `period` microseconds allows; undefined when there is no quota. */
function wholeCpus(quota: number, period: number): number | undefined {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return undefined
  return Math.max(1, Math.floor(quota / period))
}

/** `dir` and each directory above it up to `root`, nearest first. */
function upTo(root: string, dir: string): string[] {
  const dirs: string[] = []
  for (let d = dir; d.startsWith(root); d = posix.dirname(d)) {
    dirs.push(d)
    if (d === root) break
  }
  return dirs
}

/** The lowest of the quotas `quotaIn` finds in `dirs`, or undefined when none sets one. */
function lowest(dirs: string[], quotaIn: (dir: string) => number | undefined): number | undefined {
  let least: number | undefined
  for (const dir of dirs) {
    const cpus = quotaIn(dir)
    if (cpus !== undefined && (least === undefined || cpus < least)) least = cpus
  }
  return least
}

/**
 * The whole CPUs this process's cgroups allow, or undefined without a quota (or without cgroups). `fsRoot` is
 * for tests: a directory that stands for `/`.
 */
export function cgroupCpuLimit(fsRoot = '/'): number | undefined {
  const at = (path: string) => posix.join(fsRoot, path)
  const cgroups = read(at('/proc/self/cgroup'))
  if (cgroups === undefined) return undefined
  for (const line of cgroups.split('\n')) {
    // "hierarchy-id:controllers:path"; the path may hold colons.
    const [id, controllers, ...rest] = line.split(':')
    const path = rest.join(':')
    if (!path.startsWith('/')) continue
    if (id === '0' && controllers === '') {
      const root = at('/sys/fs/cgroup')
      const limit = lowest(upTo(root, posix.join(root, path)), (dir) => {
        const [quota, period] = (read(posix.join(dir, 'cpu.max')) ?? '').trim().split(/\s+/)
        return quota === 'max' ? undefined : wholeCpus(Number(quota), Number(period))
      })
      if (limit !== undefined) return limit
    } else if (controllers?.split(',').includes('cpu')) {
      // v1 mounts the controller at cpu,cpuacct (or cpu); inside a container the path is often the mount itself.
      for (const mount of [controllers, 'cpu,cpuacct', 'cpu']) {
        const root = at(`/sys/fs/cgroup/${mount}`)
        if (read(posix.join(root, 'cpu.cfs_period_us')) === undefined) continue
        const limit = lowest(upTo(root, posix.join(root, path)), (dir) =>
          wholeCpus(
            Number(read(posix.join(dir, 'cpu.cfs_quota_us'))),
            Number(read(posix.join(dir, 'cpu.cfs_period_us'))),
          ),
        )
        if (limit !== undefined) return limit
        break
      }
    }
  }
  return undefined
}

let cached: number | undefined

/** The cores this process may use: the affinity mask's count, lowered to the container's CPU limit. Read once. */
export function usableCores(): number {
  if (cached === undefined) {
    const limit = cgroupCpuLimit()
    cached = Math.min(availableParallelism(), limit ?? Number.POSITIVE_INFINITY)
  }
  return cached
}
