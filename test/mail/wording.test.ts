// The waiting list's offer agrees with its number of tickets ("1 ticket", not "1 ticket … are held"), and the
// cancellation e-mail says "organizer", as the site does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queueEventCancelled, queueWaitlistOffered } from '../../src/mail/queue.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../helpers.js'
import { type Inbox, type ReceivedMail, startInbox } from './inbox.js'

let app: App
let inbox: Inbox
let user: TestUser
beforeAll(async () => {
  inbox = await startInbox()
  app = await buildTestApp({ WORKERS_IN_PROCESS: 'true', SMTP_URL: inbox.url })
  user = await registerUser(app, { display_name: 'Ada' })
})
afterAll(async () => {
  await app?.close()
  await inbox?.close()
})

const event = (title: string) => ({ id: 9, title, venue: 'Hall', startsAt: '2027-04-01T19:00:00Z' })

async function received(match: (m: ReceivedMail) => boolean): Promise<ReceivedMail> {
  const [mail] = await inbox.waitFor(1, (m) => m.to.includes(user.email) && match(m))
  return mail!
}

describe('mail wording', () => {
  it('the waiting-list offer: "1 ticket" and "2 tickets", no verb that disagrees', async () => {
    for (const [count, title] of [
      [1, 'One seat show'],
      [2, 'Two seat show'],
    ] as const) {
      await queueWaitlistOffered(app.ctx.db, app.ctx, {
        userId: user.id,
        reservationId: 1,
        event: event(title),
        ticketCount: count,
        expiresAt: '2027-03-01T10:30:00Z',
      })
      const mail = await received((m) => m.subject.includes(title))
      const tickets = count === 1 ? '1 ticket' : '2 tickets'
      for (const body of [mail.text, mail.html]) {
        expect(body).toContain(`we are holding ${tickets} from the waiting list for you until`)
        expect(body).not.toMatch(/ticket from the waiting list are|tickets from the waiting list is/)
        expect(body).not.toMatch(/keep them|they go/)
      }
    }
  })

  it('the cancellation says "organizer", never "organiser"', async () => {
    await queueEventCancelled(app.ctx.db, app.ctx, {
      userId: user.id,
      event: event('Called off'),
      ticketCount: 1,
      currency: 'AUD',
      refundCents: 0,
    })
    const mail = await received((m) => m.subject === 'Cancelled: Called off')
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('has been cancelled by its organizer.')
      expect(body).not.toContain('organiser')
    }
  })
})
