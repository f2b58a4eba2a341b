// One process at a time on an embedded database. PGlite is PostgreSQL in single-user mode: a second process that
// opens the same directory (a second `npm start`, or `stagedoor seed` beside a running server) writes beside the
// first, and the directory is left unreadable (PGlite then aborts on open with `RuntimeError: Aborted()`). Its
// postmaster.pid holds a fixed fake pid, so PostgreSQL's own guard cannot tell processes apart.
//
// The guard is a file beside the database holding the owner's pid, created exclusively (O_EXCL). A process that
// finds it reads the pid: a live process keeps it, and this one refuses to start, naming it; a pid that no longer
// runs (a crash, a kill -9) left the file behind, and it is taken over. There is no heartbeat to expire: a
// process busy in a long synchronous statement (the first start's initdb, a big migration) looks as alive as it
// is, where a lock with a timeout would be taken from it while it writes.
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const LOCK_FILE = 'db.lock'

/** Paths this process holds, so a second open in the same process is refused too. */
const held = new Set<string>()

export class DataDirInUseError extends Error {}

/** Whether a process with this pid runs (EPERM: it runs, as another user). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The pid a lock file names, or undefined when it names none (empty, or cut short by a crash). */
function ownerOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/**
 * Takes `dir`'s embedded database for this process, or throws DataDirInUseError naming the process that has it.
 * Returns the release, which removes the file while it still names this process; it also runs at exit.
 */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE)
  const refuse = (pid: number) =>
    new DataDirInUseError(
      `DATA_DIR ${dir}: its embedded database is in use by ${pid === process.pid ? 'this process' : `another process (pid ${pid})`}. ` +
        'Two processes on one embedded database would corrupt it: stop the other (a server started with ' +
        '`npm start`, or a `stagedoor` command), or set DATA_DIR to another directory. ' +
        `If no such process runs, delete ${path}.`,
    )
  if (held.has(path)) throw refuse(process.pid)
  // Written whole under a name of its own, then linked into place: link fails when the file exists, and a reader
  // never sees a lock file without its pid.
  const mine = `${path}.${process.pid}`
  writeFileSync(mine, `${process.pid}\n`)
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(mine, path)
        break
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const owner = ownerOf(path)
      // Our own pid in a file this process did not write is a previous life of a process restarted under the
      // same pid (pid 1 in a container); any other running pid owns the database.
      if (owner !== undefined && owner !== process.pid && running(owner)) throw refuse(owner)
      // Left by a process that is gone: taken over once. (Two processes starting in the same instant after a
      // crash could both take it over; one start at a time is the case this guards.)
      if (attempt > 0) throw refuse(owner ?? process.pid)
      rmSync(path, { force: true })
    }
  } finally {
    rmSync(mine, { force: true })
  }
  held.add(path)
  const release = () => {
    if (!held.delete(path)) return
    process.off('exit', release)
    if (ownerOf(path) === process.pid) rmSync(path, { force: true })
  }
  process.on('exit', release)
  return release
}
