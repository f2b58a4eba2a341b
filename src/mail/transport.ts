// Where mail goes: SMTP when SMTP_URL is set, else an .eml file under DATA_DIR/mail for the developer to open.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import nodemailer from 'nodemailer'
import type { Config } from '../config.js'

export interface OutgoingMail {
  to: string
  subject: string
  html: string
  text: string
  /** Deterministic, derived from the cause, so a receiving system can recognise a duplicate too. */
  messageId: string
  /** Names the .eml file in development, so a redelivered message overwrites instead of adding one. */
  cause: string
  /** Inline images the HTML names by `cid:`. */
  attachments?: { filename: string; content: Buffer; contentType: string; cid: string }[]
}

export interface Mailer {
  kind: 'smtp' | 'file'
  send(mail: OutgoingMail): Promise<void>
  close(): void
}

// Every SMTP wait ends well before a mail job expires (JOBS_EXPIRE), so a stuck connection fails the
// attempt instead of still sending after pg-boss has handed the job to another worker.
const SMTP_TIMEOUTS_MS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 }

export function createMailer(config: Config, log: FastifyBaseLogger): Mailer {
  const message = (mail: OutgoingMail) => ({
    from: config.MAIL_FROM,
    to: mail.to,
    // Subjects carry event titles; a line break there would start a new header.
    subject: mail.subject.replace(/[\r\n]+/g, ' '),
    html: mail.html,
    text: mail.text,
    messageId: mail.messageId,
    ...(mail.attachments?.length ? { attachments: mail.attachments } : {}),
  })

  if (config.SMTP_URL) {
    const jobMs = config.JOBS_EXPIRE * 1000
    const transport = nodemailer.createTransport({
      url: config.SMTP_URL,
      connectionTimeout: Math.min(SMTP_TIMEOUTS_MS.connectionTimeout, jobMs / 3),
      greetingTimeout: Math.min(SMTP_TIMEOUTS_MS.greetingTimeout, jobMs / 3),
      socketTimeout: Math.min(SMTP_TIMEOUTS_MS.socketTimeout, jobMs / 3),
    })
    return {
      kind: 'smtp',
      async send(mail) {
        await transport.sendMail(message(mail))
        log.info({ to: mail.to, subject: mail.subject }, 'mail sent')
      },
      close: () => transport.close(),
    }
  }

  const dir = join(config.DATA_DIR, 'mail')
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
  return {
    kind: 'file',
    async send(mail) {
      const info = await transport.sendMail(message(mail))
      await mkdir(dir, { recursive: true })
      const file = join(dir, `${mail.cause}.eml`)
      await writeFile(file, info.message as Buffer)
      log.info({ to: mail.to, subject: mail.subject, file }, 'mail written (SMTP_URL is not set)')
    },
    close: () => transport.close(),
  }
}
