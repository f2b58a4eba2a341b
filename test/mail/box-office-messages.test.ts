// The box-office e-mails, enqueued through their typed functions and rendered by a real worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  queueEventCancelled,
  queueEventChanged,
  queueInvoiceIssued,
  queuePaymentReceipt,
  queueReservationExpired,
  queueTicketRefunded,
  queueTicketTransferred,
} from '../../src/mail/queue.js'
import { renderMail, TEMPLATES } from '../../src/mail/render.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../helpers.js'
import { mailSettled } from '../jobs/helpers.js'
import { type Inbox, type ReceivedMail, startInbox } from './inbox.js'

let app: App
let inbox: Inbox
let payer: TestUser
beforeAll(async () => {
  inbox = await startInbox()
  app = await buildTestApp({ WORKERS_IN_PROCESS: 'true', SMTP_URL: inbox.url })
  payer = await registerUser(app, { display_name: 'Grace' })
})
afterAll(async () => {
  await app?.close()
  await inbox?.close()
})

const event = { id: 7, title: 'Hamlet <Live>', venue: 'Globe Theatre', startsAt: '2027-03-05T19:30:00Z' }

async function received(subject: string): Promise<ReceivedMail> {
  const [mail] = await inbox.waitFor(1, (m) => m.to.includes(payer.email) && m.subject === subject)
  return mail!
}

/** Both bodies carry the same facts; the HTML has the brand's inline styles and escapes the title. */
function expectBoth(mail: ReceivedMail, facts: string[]) {
  for (const fact of facts) {
    expect(mail.text).toContain(fact)
    expect(mail.html).toContain(fact.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'))
  }
  expect(mail.html).toContain('background-color:#7c3aed')
  expect(mail.html).not.toContain('<Live>')
  expect(mail.text).toContain('Hi Grace,')
}

describe('box-office messages', () => {
  it('invoice issued: amount, lines and due time', async () => {
    await queueInvoiceIssued(app.ctx.db, app.ctx, {
      userId: payer.id,
      invoiceId: 42,
      number: 'INV-000042',
      eventTitle: event.title,
      currency: 'AUD',
      amountCents: 12_950,
      dueAt: '2027-03-01T10:15:00Z',
      lines: [
        { description: 'Stalls, Row B, seat 7', amountCents: 6_475 },
        { description: 'Stalls, Row B, seat 8', amountCents: 6_475 },
      ],
    })
    const mail = await received('Invoice INV-000042 for Hamlet <Live>')
    expectBoth(mail, [
      'INV-000042',
      'Stalls, Row B, seat 7',
      'A$64.75',
      'A$129.50',
      '1 Mar 2027, 10:15 UTC',
      'http://stagedoor.test/invoices/42',
    ])
  })

  it('payment receipt: the tickets with event, section, seat and time', async () => {
    await queuePaymentReceipt(app.ctx.db, app.ctx, {
      userId: payer.id,
      invoiceId: 42,
      number: 'INV-000042',
      currency: 'AUD',
      amountCents: 12_950,
      paidAt: '2027-03-01T09:00:00Z',
      event,
      tickets: [
        { section: 'Stalls', seat: 'Row B, seat 7' },
        { section: 'Standing', seat: null },
      ],
    })
    const mail = await received('Your tickets for Hamlet <Live>')
    expectBoth(mail, [
      'A$129.50',
      'Globe Theatre',
      '5 Mar 2027, 19:30 UTC',
      'Row B, seat 7',
      'General admission',
    ])
  })

  it('an event’s time is told on its zone’s clock; a message queued without a zone tells UTC (above)', async () => {
    await queuePaymentReceipt(app.ctx.db, app.ctx, {
      userId: payer.id,
      invoiceId: 43,
      number: 'INV-000043',
      currency: 'AUD',
      amountCents: 5_000,
      paidAt: '2027-03-01T09:00:00Z',
      event: { ...event, title: 'Harbour Lights', timezone: 'Australia/Sydney' },
      tickets: [{ section: 'Standing', seat: null }],
    })
    const mail = await received('Your tickets for Harbour Lights')
    expect(mail.text).toContain('6 Mar 2027, 06:30 GMT+11')
    expect(mail.text).not.toContain('19:30 UTC')
  })

  it('reservation expired', async () => {
    await queueReservationExpired(app.ctx.db, app.ctx, {
      userId: payer.id,
      reservationId: 3,
      event,
      ticketCount: 2,
    })
    expectBoth(await received('Your reservation for Hamlet <Live> expired'), [
      '2 tickets',
      'http://stagedoor.test/events/7',
    ])
  })

  it('ticket transferred to you', async () => {
    await queueTicketTransferred(app.ctx.db, app.ctx, {
      userId: payer.id,
      fromName: 'Tom & Jerry',
      event,
      ticket: { section: 'Balcony', seat: 'Row A, seat 1' },
    })
    expectBoth(await received('Tom & Jerry sent you a ticket for Hamlet <Live>'), [
      'Tom & Jerry',
      'Balcony',
      'Row A, seat 1',
    ])
  })

  it('event cancelled, with the refund (or none)', async () => {
    await queueEventCancelled(app.ctx.db, app.ctx, {
      userId: payer.id,
      event,
      ticketCount: 2,
      currency: 'EUR',
      refundCents: 5_000,
    })
    expectBoth(await received('Cancelled: Hamlet <Live>'), ['€50.00', '(2)'])
    await queueEventCancelled(app.ctx.db, app.ctx, {
      userId: payer.id,
      event: { ...event, title: 'Free show' },
      ticketCount: 1,
      currency: 'EUR',
      refundCents: 0,
    })
    expectBoth(await received('Cancelled: Free show'), ['nothing to refund'])
    await queueEventCancelled(app.ctx.db, app.ctx, {
      userId: payer.id,
      event: { ...event, title: 'Waited for' },
      ticketCount: 0,
      currency: 'EUR',
      refundCents: 0,
      waiting: true,
    })
    const waited = await received('Cancelled: Waited for')
    expectBoth(waited, ['You were on its waiting list, which is now closed.'])
    expect(waited.text).not.toContain('Your tickets')
    expect(waited.text).not.toContain('refund')
  })

  it("event changed: what it was and what it is, on the event's clock", async () => {
    await queueEventChanged(app.ctx.db, app.ctx, {
      userId: payer.id,
      event: { ...event, venue: 'Rose & Crown', timezone: 'Europe/London' },
      was: { startsAt: '2027-03-04T19:30:00Z', venue: 'Globe <Theatre>' },
      ticketCount: 2,
      waiting: true,
    })
    const mail = await received('New date and venue for Hamlet <Live>')
    expectBoth(mail, [
      'It now starts on',
      '5 Mar 2027, 19:30 GMT',
      '(it was 4 Mar 2027, 19:30 GMT)',
      'Rose & Crown',
      '(it was Globe <Theatre>)',
      'Your tickets for it (2) are still valid',
      'You are still on its waiting list.',
    ])
    expect(mail.text).toContain('See my tickets: http://stagedoor.test/tickets')
    // Held tickets not paid yet: kept until their due time, nothing to refund; the old start on its old clock.
    await queueEventChanged(app.ctx.db, app.ctx, {
      userId: payer.id,
      event: { ...event, title: 'Held <Show>', timezone: 'Europe/London' },
      was: { startsAt: '2027-03-04T19:30:00Z', timezone: 'Europe/Paris' },
      ticketCount: 0,
      heldCount: 2,
      heldUntil: '2027-02-01T10:15:00Z',
      waiting: false,
    })
    const held = await received('New date for Held <Show>')
    expectBoth(held, [
      'Your tickets for it held and not paid yet (2) are kept until 1 Feb 2027, 10:15 UTC',
      '(it was 4 Mar 2027, 20:30 CET)',
    ])
    expect(held.text).not.toContain('refund')
    expect(held.text).not.toContain('still valid')
  })

  it('ticket refunded: the amount, the ticket and who gave it back', async () => {
    await queueTicketRefunded(app.ctx.db, app.ctx, {
      userId: payer.id,
      invoiceId: 42,
      number: 'INV-000042',
      event: { ...event, title: 'Refunded <Gig>' },
      ticket: { section: 'Stalls', seat: 'Row B, seat 7' },
      currency: 'EUR',
      amountCents: 6_475,
      by: { kind: 'holder', name: 'Tom & Jerry' },
    })
    const mail = await received('Refund of €64.75 for Refunded <Gig>')
    expectBoth(mail, [
      'We refund',
      '€64.75',
      'to the way you paid',
      'INV-000042',
      'Row B, seat 7',
      'Tom & Jerry, who held this ticket, gave it back.',
    ])
    expect(mail.text).toContain('See the invoice: http://stagedoor.test/invoices/42')
  })

  it('a message to a deleted account is dropped, not retried', async () => {
    const gone = await registerUser(app)
    await inbox.waitFor(1, (m) => m.to.includes(gone.email))
    const del = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: gone.auth })
    expect(del.statusCode).toBe(204)
    await queueReservationExpired(app.ctx.db, app.ctx, {
      userId: gone.id,
      reservationId: 1,
      event,
      ticketCount: 1,
    })
    await mailSettled(app)
    expect(inbox.messages.filter((m) => m.to.includes(gone.email))).toHaveLength(1)
  })
})

describe('templates', () => {
  it('every template has an HTML and a plain-text twin inside the shared layout', () => {
    for (const name of TEMPLATES) {
      const out = renderMail(name, 'Subject', sampleVars, 'https://tickets.example')
      expect(out.html).toMatch(/^<!DOCTYPE html>/)
      expect(out.html).toContain('Stagedoor')
      expect(out.html).toContain('href="https://tickets.example"')
      expect(out.text).toContain('https://tickets.example')
      expect(out.text).not.toMatch(/<[a-z]/i)
      expect(out.text).not.toMatch(/\n{3,}/)
    }
  })
})

const sampleVars = {
  name: 'Sam',
  link: 'https://tickets.example/x?token=abc',
  validFor: '30 minutes',
  welcome: true,
  number: 'INV-1',
  eventTitle: 'Show',
  lines: [{ description: 'Seat', amount: '$1.00' }],
  total: '$1.00',
  due: 'soon',
  paidAt: 'now',
  venue: 'Hall',
  startsAt: 'tonight',
  tickets: [{ section: 'A', seat: 'B' }],
  ticketCount: 1,
  fromName: 'Kim',
  section: 'A',
  seat: 'B',
  refund: '$1.00',
  expiresAt: 'in 30 minutes',
}
