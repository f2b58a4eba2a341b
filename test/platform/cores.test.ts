// The cores a process counts: a container's CPU limit, read from cgroup files laid out as Linux lays them out
// (v2's unified tree, v1's cpu controller), under a temporary directory standing for `/`.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cgroupCpuLimit } from '../../src/lib/cores.js'

/** A file tree standing for `/`, from paths and contents. */
function fsRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'stagedoor-cgroup-'))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

describe('the CPU limit of the cgroup a process runs in', () => {
  it('v2, in a container of its own: cpu.max gives whole CPUs, rounded down', () => {
    const at = (max: string) =>
      cgroupCpuLimit(fsRoot({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': `${max}\n` }))
    expect(at('200000 100000')).toBe(2)
    expect(at('250000 100000')).toBe(2)
    expect(at('50000 100000')).toBe(1)
    expect(at('max 100000')).toBeUndefined()
  })

  it('v2, nested: the lowest quota on the way up binds', () => {
    const root = fsRoot({
      '/proc/self/cgroup': '0::/kubepods/pod1/app\n',
      '/sys/fs/cgroup/kubepods/pod1/app/cpu.max': 'max 100000\n',
      '/sys/fs/cgroup/kubepods/pod1/cpu.max': '300000 100000\n',
      '/sys/fs/cgroup/kubepods/cpu.max': '1600000 100000\n',
    })
    expect(cgroupCpuLimit(root)).toBe(3)
  })

  it('v1: cpu.cfs_quota_us over cpu.cfs_period_us, also where the cgroup is mounted as the container itself', () => {
    const v1 = (quota: string) =>
      cgroupCpuLimit(
        fsRoot({
          '/proc/self/cgroup': '12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n',
          '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': `${quota}\n`,
          '/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
        }),
      )
    expect(v1('400000')).toBe(4)
    expect(v1('-1')).toBeUndefined()
  })

  it('no cgroup files (another system, or none mounted): no limit', () => {
    expect(cgroupCpuLimit(fsRoot({}))).toBeUndefined()
    expect(cgroupCpuLimit(fsRoot({ '/proc/self/cgroup': '0::/\n' }))).toBeUndefined()
    expect(cgroupCpuLimit(fsRoot({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': 'junk' }))).toBe(
      undefined,
    )
  })
})
