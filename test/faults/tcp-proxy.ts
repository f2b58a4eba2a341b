// A TCP proxy the test controls, put between the server and its database: it can cut every open connection
// at once (as a network failure or a database restart would), refuse new ones until it is restored, or let
// a connection go silent (a dropped link or a frozen host: no reset, nothing more in either direction).
import net from 'node:net'

export interface TcpProxy {
  port: number
  /** Destroys every open connection, both sides. */
  cut(): void
  /**
   * Every connection open now is cut when the server next sends on it (a statement caught by the failure);
   * connections opened later work. With `after`, that many statements on those connections pass first. Returns
   * how many were armed; `severed()` counts those cut so far.
   */
  severOnNextStatement(after?: number): number
  severed(): number
  /**
   * Every connection open now goes silent when the server next sends on it: that statement and everything
   * after it are swallowed, and nothing comes back, but neither side sees the connection close. Returns how
   * many were armed; `stalled()` counts those gone silent so far.
   */
  stallOnNextStatement(): number
  stalled(): number
  /** While true, every new connection is closed at once (the database is unreachable). */
  refuse(on: boolean): void
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const open = new Set<net.Socket>()
  const armed = new WeakSet<net.Socket>()
  const stalling = new WeakSet<net.Socket>()
  const silent = new WeakSet<net.Socket>()
  const clients = new Set<net.Socket>()
  let severedCount = 0
  let passBeforeSevering = 0
  let stalledCount = 0
  let refusing = false
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy()
      return
    }
    const upstream = net.connect(target.port, target.host)
    open.add(client)
    open.add(upstream)
    clients.add(client)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      open.delete(client)
      open.delete(upstream)
      clients.delete(client)
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.on('data', (chunk) => {
      if (silent.has(client)) return
      const sever = armed.has(client) && passBeforeSevering-- <= 0
      if (stalling.has(client)) {
        stalledCount++
        silent.add(client)
        upstream.unpipe(client)
      } else if (sever) {
        severedCount++
        drop()
      } else if (!upstream.write(chunk)) {
        client.pause()
        upstream.once('drain', () => client.resume())
      }
    })
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  return {
    port,
    cut() {
      for (const socket of open) socket.destroy()
      open.clear()
    },
    severOnNextStatement(after = 0) {
      passBeforeSevering = after
      for (const client of clients) armed.add(client)
      return clients.size
    },
    severed: () => severedCount,
    stallOnNextStatement() {
      for (const client of clients) stalling.add(client)
      return clients.size
    },
    stalled: () => stalledCount,
    refuse(on) {
      refusing = on
    },
    close() {
      for (const socket of open) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
