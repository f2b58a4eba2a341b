// Prints the PSS (proportional set size: shared pages divided among the processes that map them) of a running
// fleet: the process given and its children, from /proc/<pid>/smaps_rollup (Linux).
//   npx tsx bench/pss.ts <pid>          e.g. the pid of `node dist/server.js` (the cluster primary)
import { readdirSync, readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

export interface ProcessPss {
  pid: number
  role: 'primary' | 'child'
  /** MiB */
  pss: number
}

/** PSS of one process in MiB, or undefined when it is gone. */
export function pssOf(pid: number): number | undefined {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
    const kb = /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1]
    return kb === undefined ? undefined : Number(kb) / 1024
  } catch {
    return undefined
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

/** `root` and its direct children (a cluster primary and its servers), with each one's PSS. */
export function fleetPss(root: number): ProcessPss[] {
  const children = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => parentOf(pid) === root)
  return [
    { pid: root, role: 'primary' as const, pss: pssOf(root) },
    ...children.map((pid) => ({ pid, role: 'child' as const, pss: pssOf(pid) })),
  ].filter((p): p is ProcessPss => p.pss !== undefined)
}

export function formatFleet(fleet: ProcessPss[]): string {
  const total = fleet.reduce((sum, p) => sum + p.pss, 0)
  const lines = fleet.map((p) => `${p.role.padEnd(7)} ${String(p.pid).padStart(7)}  ${p.pss.toFixed(1)} MiB`)
  return [...lines, `total   ${String(fleet.length).padStart(7)}  ${total.toFixed(1)} MiB`].join('\n')
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = Number(process.argv[2])
  if (!Number.isInteger(root) || root < 1) {
    console.error('usage: tsx bench/pss.ts <pid of the server (the cluster primary)>')
    process.exit(2)
  }
  const fleet = fleetPss(root)
  if (fleet.length === 0) {
    console.error(`no process ${root}`)
    process.exit(1)
  }
  console.log(formatFleet(fleet))
}
