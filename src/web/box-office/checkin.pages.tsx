// Check-in at the door for the organizer, admins and the event's staff: the events whose door they work, and
// per event a form to type or paste a ticket's code (a hardware scanner types it too) with the result shown
// large, in words and colour; a camera scanner is an enhancement of that form (assets/checkin.js). Also the
// ticket page's QR image, for its holder.
import type { FastifyInstance, FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../lib/errors.js'
import { Id } from '../../lib/schemas.js'
import type { CheckInListT, CheckInT } from '../../modules/box-office/checkin.schemas.js'
import { checkIn, checkInOfTicket, listCheckIns } from '../../modules/box-office/checkin.service.js'
import { doorEvents, eventForDoor } from '../../modules/box-office/staff.service.js'
import { ticketQrSvg } from '../../modules/box-office/ticket-qr.js'
import { assetUrl } from '../assets.js'
import { when } from '../format.js'
import { CsrfField, Layout } from '../layout.js'
import { FORM_INVALID, type PageCtx, pageCtx, requestedPage, requireUser, sendHtml } from '../page.js'
import { seatText } from './status.js'

const RECENT = 20

/** What a scan came to, as the door shows it. */
export type ScanResult =
  | { kind: 'ok'; checkIn: CheckInT }
  | { kind: 'already'; at: string; checkIn: CheckInT | null }
  | { kind: 'invalid'; reason: string; status: 409 | 422 }

/**
 * The answer's status: 200 for a check-in, 409 for a ticket that cannot enter (used, not confirmed), 422 for a
 * code to type again (unknown, empty), as the pages answer every refused form.
 */
const statusOf = (r: ScanResult) => (r.kind === 'ok' ? 200 : r.kind === 'already' ? 409 : r.status)

function holderName(c: CheckInT): string {
  return c.holder?.display_name ?? 'Deleted account'
}

function ScanOutcome({ result, zone }: { result: ScanResult; zone: string }): JSX.Element {
  if (result.kind === 'ok') {
    const c = result.checkIn
    return (
      <p class="check-result check-ok" safe>
        {`✓ Checked in: ${holderName(c)}, ${c.section.name}, ${seatText(c)}`}
      </p>
    )
  }
  if (result.kind === 'already') {
    return (
      <p class="check-result check-already" safe>
        {`⚠ Already checked in at ${when(result.at, zone)}${result.checkIn ? `: ${holderName(result.checkIn)}, ${result.checkIn.section.name}, ${seatText(result.checkIn)}` : ''}`}
      </p>
    )
  }
  return (
    <p class="check-result check-invalid">
      <span>✕ Not valid</span>
      {/* The code field's error: the field names it (aria-describedby) for the next try. */}
      <small id="f-code-error" class="field-error" safe>
        {result.reason}
      </small>
    </p>
  )
}

function DoorListPage(p: { ctx: PageCtx; events: Awaited<ReturnType<typeof doorEvents>> }) {
  return (
    <Layout ctx={p.ctx} title="Check-in">
      <h1>Check-in</h1>
      {p.events.length === 0 ? (
        <p>There is no event whose door you work. An organizer can add you as staff of their event.</p>
      ) : (
        <ul>
          {p.events.map((e) => (
            <li>
              <a href={`/check-in/${e.id}`} safe>
                {e.title}
              </a>{' '}
              <span class="meta" safe>{`${when(e.startsAt, e.timezone)} · ${e.venue}`}</span>
            </li>
          ))}
        </ul>
      )}
    </Layout>
  )
}

function DoorPage(p: {
  ctx: PageCtx
  event: { id: number; title: string; venue: string; startsAt: Date; timezone: string }
  list: CheckInListT
  result?: ScanResult
}) {
  const e = p.event
  return (
    <Layout ctx={p.ctx} title={`Check-in: ${e.title}`} scripts={['checkin.js']}>
      <h1 safe>{`Check-in: ${e.title}`}</h1>
      <p class="meta" safe>{`${when(e.startsAt, e.timezone)} · ${e.venue}`}</p>
      <div role="status" aria-live="polite">
        {p.result ? <ScanOutcome result={p.result} zone={e.timezone} /> : ''}
      </div>
      <form method="post" action={`/check-in/${e.id}`} id="check-in-form">
        <CsrfField token={p.ctx.csrf} />
        <label for="f-code">
          Ticket code
          <input
            id="f-code"
            name="code"
            type="text"
            required
            maxlength={1000}
            autocomplete="off"
            autocapitalize="off"
            spellcheck="false"
            autofocus
            aria-invalid={p.result?.kind === 'invalid' ? 'true' : undefined}
            aria-describedby={p.result?.kind === 'invalid' ? 'f-code-hint f-code-error' : 'f-code-hint'}
          />
          <small id="f-code-hint">Type or paste the code under the ticket’s QR image, or scan it.</small>
        </label>
        <button type="submit">Check in</button>
      </form>
      <section
        id="camera"
        hidden
        data-scanner={assetUrl('qr-scanner.min.js')}
        aria-labelledby="camera-heading"
      >
        <h2 id="camera-heading">Camera</h2>
        <p>
          <button type="button" id="camera-start">
            Scan with the camera
          </button>{' '}
          <button type="button" id="camera-stop" class="secondary" hidden>
            Stop the camera
          </button>
        </p>
        <p id="camera-note" aria-live="polite" />
        <video id="camera-video" hidden muted aria-label="Camera preview" />
      </section>
      <h2 safe>{`Checked in: ${p.list.checked_in} of ${p.list.confirmed}`}</h2>
      {p.list.data.length === 0 ? (
        <p>No one has been checked in yet.</p>
      ) : (
        <section class="table-wrap" tabindex="0" aria-label="Latest check-ins">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Holder</th>
                <th scope="col">Section</th>
                <th scope="col">Seat</th>
              </tr>
            </thead>
            <tbody>
              {p.list.data.map((c) => (
                <tr>
                  <td safe>{when(c.checked_in_at, e.timezone)}</td>
                  <td safe>{holderName(c)}</td>
                  <td safe>{c.section.name}</td>
                  <td safe>{seatText(c)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </Layout>
  )
}

/** Checks the code in; a refusal of the code itself is a result to show, anything else goes to the error page. */
async function scan(
  run: () => Promise<CheckInT>,
  firstCheckIn: (ticketId: number) => Promise<CheckInT | null>,
): Promise<ScanResult> {
  try {
    return { kind: 'ok', checkIn: await run() }
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    if (err.code === 'ALREADY_CHECKED_IN') {
      // Whose ticket it was, so the door can tell a copied code from a second try of the same person.
      const ticketId = err.extensions?.ticket_id
      return {
        kind: 'already',
        at: String(err.extensions?.checked_in_at ?? ''),
        checkIn: typeof ticketId === 'number' ? await firstCheckIn(ticketId) : null,
      }
    }
    if (err.code === 'TICKET_NOT_CONFIRMED')
      return { kind: 'invalid', reason: 'This ticket is not confirmed.', status: 409 }
    if (err.code === 'TICKET_NOT_FOUND') {
      return {
        kind: 'invalid',
        reason: 'No ticket of this event has this code (or the code is out of date).',
        status: FORM_INVALID,
      }
    }
    throw err
  }
}

/** The camera scanner decodes in a worker made from a blob: URL; only this page allows one. */
function allowScannerWorker(reply: FastifyReply): void {
  const policy = String(reply.getHeader('content-security-policy') ?? '')
  reply.header('content-security-policy', `${policy}; worker-src 'self' blob:`)
}

export async function checkInPages(app: FastifyInstance) {
  const { ctx } = app
  const params = Type.Object({ id: Id })

  app.get('/tickets/:id/qr.svg', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const svg = await ticketQrSvg(ctx, user, (req.params as { id: number }).id)
    return reply.type('image/svg+xml').header('cache-control', 'private, no-store').send(svg)
  })

  app.get('/check-in', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    return sendHtml(
      req,
      reply,
      <DoorListPage ctx={pageCtx(req, reply)} events={await doorEvents(ctx, user)} />,
    )
  })

  async function door(req: Parameters<typeof pageCtx>[0], reply: FastifyReply, result?: ScanResult) {
    const user = req.webUser!
    const id = (req.params as { id: number }).id
    const event = await eventForDoor(ctx.db, user, id)
    const list = await listCheckIns(ctx, user, id, requestedPage(req, RECENT))
    allowScannerWorker(reply)
    return sendHtml(
      req,
      reply,
      <DoorPage ctx={pageCtx(req, reply)} event={event} list={list} result={result} />,
      result ? statusOf(result) : 200,
    )
  }

  app.get('/check-in/:id', { schema: { hide: true, params } }, async (req, reply) => {
    if (!requireUser(req, reply)) return reply
    return door(req, reply)
  })

  app.post('/check-in/:id', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const id = (req.params as { id: number }).id
    const code = String((req.body as { code?: unknown } | undefined)?.code ?? '').slice(0, 1000)
    await eventForDoor(ctx.db, user, id)
    const result: ScanResult = code.trim()
      ? await scan(
          () => checkIn(ctx, user, id, code),
          (ticketId) => checkInOfTicket(ctx, user, id, ticketId),
        )
      : { kind: 'invalid', reason: 'Type or paste a code first.', status: FORM_INVALID }
    return door(req, reply, result)
  })
}
