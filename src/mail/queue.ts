// Typed "send this e-mail" calls. Pass the transaction of the change that causes the message: the job is
// written in it, so a rollback sends nothing and a commit always sends (once; see jobs/mail.job.ts).
import type { Ctx } from '../context.js'
import type { Db } from '../db/client.js'
import type {
  EmailChangedMail,
  EventCancelledMail,
  EventChangedMail,
  InvoiceIssuedMail,
  MailJob,
  PasswordResetMail,
  PaymentReceiptMail,
  ReservationExpiredMail,
  StaffAddedMail,
  TicketRefundedMail,
  TicketTransferredMail,
  VerifyEmailMail,
  WaitlistOfferedMail,
} from './messages.js'

const queueMail = (db: Db, ctx: Ctx, job: MailJob) => ctx.jobs.send(db, 'mail', job)

/** Welcome + verify (on registration, `welcome: true`) or re-verify after an address change. */
export const queueVerifyEmail = (db: Db, ctx: Ctx, data: VerifyEmailMail) =>
  queueMail(db, ctx, { kind: 'verify-email', ...data })

/** To the old address when an account's address changes (written in the change's transaction). */
export const queueEmailChanged = (db: Db, ctx: Ctx, data: EmailChangedMail) =>
  queueMail(db, ctx, { kind: 'email-changed', ...data })

/** Enqueued for every request, known address or not, so both cost the same; the worker sends or drops it. */
export const queuePasswordReset = (db: Db, ctx: Ctx, data: PasswordResetMail) =>
  queueMail(db, ctx, { kind: 'password-reset', ...data })

/**
 * To each payer when their invoice is issued: amount, lines, due time. A reservation writes this job in its
 * own statement (reserve.write.ts builds the same payload in SQL; test/jobs/job-policy.test.ts keeps the
 * two equal).
 */
export const queueInvoiceIssued = (db: Db, ctx: Ctx, data: InvoiceIssuedMail) =>
  queueMail(db, ctx, { kind: 'invoice-issued', ...data })

/** To the payer when an invoice is paid, with the tickets it bought. */
export const queuePaymentReceipt = (db: Db, ctx: Ctx, data: PaymentReceiptMail) =>
  queueMail(db, ctx, { kind: 'payment-receipt', ...data })

/** To the booker when an unpaid reservation runs out and its seats go back on sale. */
export const queueReservationExpired = (db: Db, ctx: Ctx, data: ReservationExpiredMail) =>
  queueMail(db, ctx, { kind: 'reservation-expired', ...data })

/** To the new holder of a transferred ticket. */
export const queueTicketTransferred = (db: Db, ctx: Ctx, data: TicketTransferredMail) =>
  queueMail(db, ctx, { kind: 'ticket-transferred', ...data })

/** To every holder of a cancelled event, with what they get back. */
export const queueEventCancelled = (db: Db, ctx: Ctx, data: EventCancelledMail) =>
  queueMail(db, ctx, { kind: 'event-cancelled', ...data })

/** To every holder of a live ticket and everyone waiting, when an event's start or venue changes. */
export const queueEventChanged = (db: Db, ctx: Ctx, data: EventChangedMail) =>
  queueMail(db, ctx, { kind: 'event-changed', ...data })

/** To the payer, when a paid ticket is given back and its price refunded (a cancellation sends its own). */
export const queueTicketRefunded = (db: Db, ctx: Ctx, data: TicketRefundedMail) =>
  queueMail(db, ctx, { kind: 'ticket-refunded', ...data })

/** To whoever waited, when places came back and a reservation is held for them until they pay. */
export const queueWaitlistOffered = (db: Db, ctx: Ctx, data: WaitlistOfferedMail) =>
  queueMail(db, ctx, { kind: 'waitlist-offered', ...data })

/** To a member added to an event's door staff: what they may do now, and where. */
export const queueStaffAdded = (db: Db, ctx: Ctx, data: StaffAddedMail) =>
  queueMail(db, ctx, { kind: 'staff-added', ...data })
