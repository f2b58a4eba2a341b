// Every e-mail Stagedoor sends: the data its job carries, and how a worker turns that into a message.
// Tokens are minted by the worker at send time, so a job row never holds a usable secret.
import { eq, sql } from 'drizzle-orm'
import type { Ctx } from '../context.js'
import { users } from '../db/schema/index.js'
import { issueUserToken, mailCooldownLeft, RESET_TOKEN_TTL } from '../modules/auth/user-tokens.js'
import { codesFor } from '../modules/box-office/ticket-code.js'
import { codePng } from '../modules/box-office/ticket-qr.js'
import { duration, money, plural, when } from './format.js'
import type { TemplateName } from './render.js'

export interface VerifyEmailMail {
  userId: number
  /** The address to confirm; if the account's address changed since, this message is dropped. */
  email: string
  /** true on registration (welcome + verify), false after an address change or when asked for again. */
  welcome: boolean
  /**
   * Asked for again by the account's owner (`resendVerification`): at most one such link per
   * EMAIL_VERIFY_COOLDOWN, counted when links are minted, so requests sent before the last one was are dropped.
   */
  again?: boolean
}

export interface PasswordResetMail {
  /** As typed into the form: unknown addresses are accepted and silently send nothing. */
  email: string
}

export interface EmailChangedMail {
  userId: number
  /** The address the account had: the message goes there, so its owner hears of a change they did not make. */
  oldEmail: string
  newEmail: string
}

export interface InvoiceIssuedMail {
  /** The payer. */
  userId: number
  invoiceId: number
  number: string
  eventTitle: string
  currency: string
  amountCents: number
  dueAt: string
  lines: { description: string; amountCents: number }[]
}

export interface TicketLine {
  section: string
  /** e.g. "Row B, seat 7"; null in general admission. */
  seat: string | null
}

export interface EventSummary {
  id: number
  title: string
  venue: string
  startsAt: string
  /** The event's zone, whose clock its times are told on (absent from messages queued before events had one: UTC). */
  timezone?: string
}

export interface PaymentReceiptMail {
  userId: number
  invoiceId: number
  number: string
  currency: string
  amountCents: number
  paidAt: string
  event: EventSummary
  tickets: TicketLine[]
  /**
   * The ids of `tickets`, in the same order: the worker signs the codes of those the payer holds at send time
   * (a code signed then is the current one) and attaches them as QR images. Absent in jobs queued before.
   */
  ticketIds?: number[]
}

export interface ReservationExpiredMail {
  /** The booker. */
  userId: number
  reservationId: number
  event: EventSummary
  ticketCount: number
}

export interface TicketTransferredMail {
  /** The new holder. */
  userId: number
  fromName: string
  event: EventSummary
  ticket: TicketLine
}

export interface EventCancelledMail {
  /** One message per holder. */
  userId: number
  event: EventSummary
  ticketCount: number
  currency: string
  /** What this holder gets back; 0 when nothing was paid. */
  refundCents: number
  /** They were on the event's waiting list, now closed (ticketCount may then be 0). */
  waiting?: boolean
}

export interface EventChangedMail {
  /** A holder of a live ticket, or someone on the waiting list: one message each. */
  userId: number
  /** The event as it is now. */
  event: EventSummary
  /** What changed, as it was: the start (ISO, with the zone it was told in), the venue, or both. */
  was: { startsAt?: string; timezone?: string; venue?: string }
  /** The paid tickets they hold or paid for (0 when they only wait, or only hold unpaid ones). */
  ticketCount: number
  /** The held, unpaid tickets they hold or are to pay for, and when the first of those holds lapses. */
  heldCount?: number
  heldUntil?: string
  /** They are on the event's waiting list. */
  waiting: boolean
}

export interface TicketRefundedMail {
  /** The payer of the ticket's invoice, who gets the money back. */
  userId: number
  invoiceId: number
  number: string
  event: EventSummary
  ticket: TicketLine
  currency: string
  amountCents: number
  /** Who gave the ticket back: the payer themselves, its holder (named), or nobody (the holder's account closed). */
  by: { kind: 'you' } | { kind: 'holder'; name: string } | { kind: 'account-closed' }
}

export interface WaitlistOfferedMail {
  /** Whoever joined the waiting list (the booker of the offer). */
  userId: number
  reservationId: number
  event: EventSummary
  ticketCount: number
  /** When the offer lapses unless paid. */
  expiresAt: string
}

export interface StaffAddedMail {
  /** The new door staff member. */
  userId: number
  /** Who added them: the event's organizer or an admin. */
  byName: string
  event: EventSummary
}

export type MailJob =
  | ({ kind: 'verify-email' } & VerifyEmailMail)
  | ({ kind: 'password-reset' } & PasswordResetMail)
  | ({ kind: 'invoice-issued' } & InvoiceIssuedMail)
  | ({ kind: 'payment-receipt' } & PaymentReceiptMail)
  | ({ kind: 'reservation-expired' } & ReservationExpiredMail)
  | ({ kind: 'ticket-transferred' } & TicketTransferredMail)
  | ({ kind: 'event-cancelled' } & EventCancelledMail)
  | ({ kind: 'event-changed' } & EventChangedMail)
  | ({ kind: 'ticket-refunded' } & TicketRefundedMail)
  | ({ kind: 'waitlist-offered' } & WaitlistOfferedMail)
  | ({ kind: 'staff-added' } & StaffAddedMail)
  | ({ kind: 'email-changed' } & EmailChangedMail)

export type MailKind = MailJob['kind']

/** A message ready to render; `prepare` may mint a token, so it runs only once a worker holds the claim. */
export interface ComposedMail {
  to: string
  template: TemplateName
  subject: string
  vars: Record<string, unknown>
  /** Inline images the HTML names by `cid:` (a ticket's QR code). */
  attachments?: MailAttachment[]
}

export interface MailAttachment {
  filename: string
  content: Buffer
  contentType: string
  cid: string
}

interface Recipient {
  id: number
  email: string
  name: string
}

async function recipientById(ctx: Ctx, id: number): Promise<Recipient | undefined> {
  const [row] = await ctx.db
    .select({ id: users.id, email: users.email, name: users.displayName })
    .from(users)
    .where(eq(users.id, id))
  return row
}

/** Builds the message for a job, or null when there is no one to send it to (deleted account, unknown address). */
export async function composeMail(ctx: Ctx, job: MailJob): Promise<ComposedMail | null> {
  const url = (path: string) => new URL(path, ctx.config.PUBLIC_URL).toString()
  if (job.kind === 'password-reset') {
    const [user] = await ctx.db
      .select({ id: users.id, email: users.email, name: users.displayName })
      .from(users)
      .where(eq(sql`lower(${users.email})`, job.email.trim().toLowerCase()))
    if (!user) return null
    // One reset e-mail per address per cooldown: repeated requests cannot flood someone's inbox.
    if (await mailCooldownLeft(ctx.db, user.id, 'reset_password', ctx.config.PASSWORD_RESET_COOLDOWN))
      return null
    const token = await issueUserToken(ctx.db, {
      userId: user.id,
      purpose: 'reset_password',
      email: user.email,
      ttlSeconds: RESET_TOKEN_TTL,
    })
    return {
      to: user.email,
      template: 'password-reset',
      subject: 'Reset your Stagedoor password',
      vars: {
        name: user.name,
        link: url(`/reset-password?token=${token}`),
        validFor: duration(RESET_TOKEN_TTL),
      },
    }
  }

  if (job.kind === 'email-changed') {
    const [user] = await ctx.db
      .select({ name: users.displayName })
      .from(users)
      .where(eq(users.id, job.userId))
    if (!user) return null
    return {
      to: job.oldEmail,
      template: 'email-changed',
      subject: 'The e-mail address of your Stagedoor account changed',
      vars: { name: user.name, newEmail: job.newEmail, link: url('/forgot-password') },
    }
  }

  const user = await recipientById(ctx, job.userId)
  if (!user) return null
  const base = { to: user.email }
  switch (job.kind) {
    case 'verify-email': {
      if (user.email.toLowerCase() !== job.email.toLowerCase()) return null
      const ttl = ctx.config.EMAIL_VERIFY_TTL
      const mint = (db: typeof ctx.db) =>
        issueUserToken(db, { userId: user.id, purpose: 'verify_email', email: user.email, ttlSeconds: ttl })
      // A link asked for again is minted under the account's row lock, so two workers running two such jobs at
      // once mint one link, and none within the cooldown of the last.
      const token = job.again
        ? await ctx.db.transaction(async (tx) => {
            const [row] = await tx
              .select({ verifiedAt: users.emailVerifiedAt })
              .from(users)
              .where(eq(users.id, user.id))
              .for('update')
            if (!row || row.verifiedAt !== null) return null
            const left = await mailCooldownLeft(tx, user.id, 'verify_email', ctx.config.EMAIL_VERIFY_COOLDOWN)
            return left > 0 ? null : mint(tx)
          })
        : await mint(ctx.db)
      if (token === null) return null
      return {
        ...base,
        template: 'verify-email',
        subject: job.welcome
          ? 'Welcome to Stagedoor: confirm your address'
          : job.again
            ? 'Confirm your e-mail address'
            : 'Confirm your new e-mail address',
        vars: {
          name: user.name,
          welcome: job.welcome,
          again: job.again === true,
          link: url(`/verify-email?token=${token}`),
          validFor: duration(ttl),
        },
      }
    }
    case 'invoice-issued':
      return {
        ...base,
        template: 'invoice-issued',
        subject: `Invoice ${job.number} for ${job.eventTitle}`,
        vars: {
          name: user.name,
          number: job.number,
          eventTitle: job.eventTitle,
          lines: job.lines.map((l) => ({
            description: l.description,
            amount: money(l.amountCents, job.currency),
          })),
          total: money(job.amountCents, job.currency),
          due: when(job.dueAt),
          link: url(`/invoices/${job.invoiceId}`),
        },
      }
    case 'payment-receipt': {
      const qr = await ticketQrAttachments(ctx, job.userId, job.ticketIds ?? [])
      return {
        ...base,
        template: 'payment-receipt',
        subject: `Your tickets for ${job.event.title}`,
        vars: {
          name: user.name,
          number: job.number,
          total: money(job.amountCents, job.currency),
          paidAt: when(job.paidAt),
          eventTitle: job.event.title,
          venue: job.event.venue,
          startsAt: when(job.event.startsAt, job.event.timezone),
          tickets: job.tickets.map((t, i) => {
            const image = qr.get(job.ticketIds?.[i] ?? 0)
            return {
              section: t.section,
              seat: t.seat ?? 'General admission',
              code: image?.code ?? null,
              qrCid: image?.attachment.cid ?? null,
            }
          }),
          link: url('/tickets'),
        },
        attachments: [...qr.values()].map((q) => q.attachment),
      }
    }
    case 'reservation-expired':
      return {
        ...base,
        template: 'reservation-expired',
        subject: `Your reservation for ${job.event.title} expired`,
        vars: {
          name: user.name,
          tickets: plural(job.ticketCount, 'ticket'),
          eventTitle: job.event.title,
          startsAt: when(job.event.startsAt, job.event.timezone),
          // The event page with the booker's choices filled in again.
          link: url(`/events/${job.event.id}?again=${job.reservationId}`),
        },
      }
    case 'ticket-transferred':
      return {
        ...base,
        template: 'ticket-transferred',
        subject: `${job.fromName} sent you a ticket for ${job.event.title}`,
        vars: {
          name: user.name,
          fromName: job.fromName,
          eventTitle: job.event.title,
          venue: job.event.venue,
          startsAt: when(job.event.startsAt, job.event.timezone),
          section: job.ticket.section,
          seat: job.ticket.seat ?? 'General admission',
          link: url('/tickets'),
        },
      }
    case 'event-cancelled':
      return {
        ...base,
        template: 'event-cancelled',
        subject: `Cancelled: ${job.event.title}`,
        vars: {
          name: user.name,
          eventTitle: job.event.title,
          startsAt: when(job.event.startsAt, job.event.timezone),
          ticketCount: job.ticketCount,
          refund: job.refundCents > 0 ? money(job.refundCents, job.currency) : null,
          waiting: job.waiting === true,
        },
      }
    case 'event-changed': {
      const { event, was } = job
      const what = [was.startsAt === undefined ? null : 'date', was.venue === undefined ? null : 'venue']
        .filter((w) => w !== null)
        .join(' and ')
      return {
        ...base,
        template: 'event-changed',
        subject: `New ${what} for ${event.title}`,
        vars: {
          name: user.name,
          eventTitle: event.title,
          // Each time on the clock it was told on: the old start as people were told it, the new on the event's.
          startsAt: when(event.startsAt, event.timezone),
          wasStartsAt: was.startsAt === undefined ? null : when(was.startsAt, was.timezone ?? event.timezone),
          venue: event.venue,
          wasVenue: was.venue ?? null,
          ticketCount: job.ticketCount,
          heldCount: job.heldCount ?? 0,
          heldUntil: job.heldUntil ? when(job.heldUntil) : null,
          waiting: job.waiting,
          link: url(job.ticketCount + (job.heldCount ?? 0) > 0 ? '/tickets' : `/events/${event.id}`),
          linkLabel: job.ticketCount + (job.heldCount ?? 0) > 0 ? 'See my tickets' : 'See the event',
        },
      }
    }
    case 'ticket-refunded': {
      const amount = money(job.amountCents, job.currency)
      return {
        ...base,
        template: 'ticket-refunded',
        subject: `Refund of ${amount} for ${job.event.title}`,
        vars: {
          name: user.name,
          amount,
          number: job.number,
          eventTitle: job.event.title,
          startsAt: when(job.event.startsAt, job.event.timezone),
          section: job.ticket.section,
          seat: job.ticket.seat ?? 'General admission',
          by:
            job.by.kind === 'you'
              ? 'You gave this ticket back.'
              : job.by.kind === 'holder'
                ? `${job.by.name}, who held this ticket, gave it back.`
                : 'This ticket was given back when its holder closed their account.',
          link: url(`/invoices/${job.invoiceId}`),
        },
      }
    }
    case 'waitlist-offered':
      return {
        ...base,
        template: 'waitlist-offered',
        subject: `Tickets for ${job.event.title} are yours to pay`,
        vars: {
          name: user.name,
          tickets: plural(job.ticketCount, 'ticket'),
          eventTitle: job.event.title,
          startsAt: when(job.event.startsAt, job.event.timezone),
          expiresAt: when(job.expiresAt),
          link: url(`/reservations/${job.reservationId}`),
        },
      }
    case 'staff-added':
      return {
        ...base,
        template: 'staff-added',
        subject: `You check tickets in at ${job.event.title}`,
        vars: {
          name: user.name,
          byName: job.byName,
          eventTitle: job.event.title,
          venue: job.event.venue,
          startsAt: when(job.event.startsAt, job.event.timezone),
          link: url(`/check-in/${job.event.id}`),
        },
      }
  }
}

/** The codes of the confirmed tickets among `ticketIds` that `holderId` holds, each with its QR as an inline PNG. */
async function ticketQrAttachments(
  ctx: Ctx,
  holderId: number,
  ticketIds: number[],
): Promise<Map<number, { code: string; attachment: MailAttachment }>> {
  const codes = await codesFor(ctx.db, holderId, ticketIds)
  const out = new Map<number, { code: string; attachment: MailAttachment }>()
  for (const [id, code] of codes) {
    out.set(id, {
      code,
      attachment: {
        filename: `ticket-${id}.png`,
        content: await codePng(code),
        contentType: 'image/png',
        cid: `ticket-${id}@stagedoor`,
      },
    })
  }
  return out
}
