// The organizer's vouchers and waiting list of an event: vouchers listed with their uses, created, changed
// (value, limit, end date, active) and deleted while unused; the waiting list in the order it is served. Every
// form works without JavaScript, carries the CSRF token and calls the same services as the API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../lib/errors.js'
import { formatMoney, minorUnitDigits } from '../../lib/money.js'
import { Id } from '../../lib/schemas.js'
import {
  VoucherBody,
  type VoucherInput,
  VoucherPatch,
  type VoucherPatchT,
  type VoucherT,
} from '../../modules/box-office/vouchers.schemas.js'
import {
  createVoucher,
  deleteVoucher,
  getVoucher,
  listVouchers,
  updateVoucher,
} from '../../modules/box-office/vouchers.service.js'
import type { WaitlistEntryT } from '../../modules/box-office/waitlist.schemas.js'
import { listEventWaitlist } from '../../modules/box-office/waitlist.service.js'
import type { EventT } from '../../modules/events/events.schemas.js'
import { attr, when } from '../format.js'
import { CsrfField, ErrorSummary, Field, Layout, Pager } from '../layout.js'
import {
  FORM_INVALID,
  type FormErrors,
  flash,
  formErrorsOf,
  NO_ERRORS,
  type PageCtx,
  pageCtx,
  parseForm,
  requestedPage,
  requireUser,
  seeOther,
  sendHtml,
  withErrors,
} from '../page.js'
import { managedEvent } from './events.pages.js'
import { endError, isoOf, localOf, minorOf, type Values } from './forms.js'

const PER_PAGE = 50

/** What a voucher takes off a ticket, as people read it: "25%" or "A$5.00". */
function worth(v: Pick<VoucherT, 'kind' | 'value'>, currency: string): string {
  return v.kind === 'percent' ? `${v.value}%` : formatMoney(v.value, currency)
}

/** The value field as typed: a whole percentage, or an amount in the currency's major unit ("5.00"). */
function typedToValue(kind: string | undefined, typed: string | undefined, currency: string) {
  if (!typed) return undefined
  return kind === 'amount' ? minorOf(typed, currency) : typed
}

const typedValue = (v: VoucherT, currency: string) =>
  v.kind === 'percent'
    ? String(v.value)
    : (v.value / 10 ** minorUnitDigits(currency)).toFixed(minorUnitDigits(currency))

const strings = (body: unknown) => {
  const out: Values = {}
  const sections: string[] = []
  for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (k === 'section_ids') sections.push(...[v].flat().map(String))
    else if (typeof v === 'string') out[k] = v
  }
  return { values: out, sections }
}

/**
 * A percentage over 100, in the form's words and with the form's other errors: the schema takes any whole number
 * (an amount has no such bound), and the service's own refusal would come only once every other field is mended.
 */
function overPercent(kind: string, typed: string | undefined): string | undefined {
  const n = Number(typed?.trim())
  return kind === 'percent' && Number.isInteger(n) && n > 100 ? 'Enter a percentage from 1 to 100' : undefined
}

/** The value's errors show beside the value field, whatever the schema called them. */
function readNew(body: unknown, currency: string, zone: string) {
  const { values, sections } = strings(body)
  // The kind is read as the page shows it: anything but an amount is the percentage (the select's first option).
  const kind = values.kind === 'amount' ? 'amount' : 'percent'
  const parsed = parseForm<VoucherInput>(VoucherBody, {
    code: values.code?.trim(),
    kind,
    value: typedToValue(kind, values.value?.trim(), currency),
    ...(sections.length > 0 ? { section_ids: sections } : {}),
    max_uses: values.max_uses || undefined,
    valid_from: isoOf(values.valid_from, zone) || undefined,
    valid_until: isoOf(values.valid_until, zone) || undefined,
  })
  const ends = endError(isoOf(values.valid_from, zone), isoOf(values.valid_until, zone), 'Valid from')
  const over = overPercent(kind, values.value)
  if (parsed.ok && !ends && !over) return { values, sections, input: parsed.value }
  const own: Record<string, string> = ends ? { valid_until: ends } : {}
  if (over) own.value = over
  // A code with another character (a space, a !) breaks the pattern: the rule in words, and what broke it.
  const code = values.code?.trim() ?? ''
  const stray = [...new Set(code.replace(/[A-Za-z0-9_-]/g, ''))]
  if (!parsed.ok && parsed.errors.fields.code && stray.length > 0) {
    const shown = stray.map((c) => (c === ' ' ? 'spaces' : `“${c}”`)).join(', ')
    own.code = `Use only letters, digits, - and _ (not ${shown})`
  }
  const errors = withErrors(parsed.ok ? NO_ERRORS : parsed.errors, own)
  return { values, sections, errors }
}

/** The new voucher form's labels, for its fields and its error summary. */
const NEW_LABELS = {
  code: 'Code',
  value: 'Value',
  max_uses: 'Maximum uses (empty: no limit)',
  valid_from: 'Valid from (optional)',
  valid_until: 'Valid until (optional)',
}

/** The names of a voucher row's fields, for its messages. */
const ROW_LABELS: Record<string, string> = {
  value: 'Value',
  max_uses: 'Maximum uses',
  valid_until: 'Valid until',
}

function readChange(values: Values, current: VoucherT, currency: string, zone: string) {
  const parsed = parseForm<VoucherPatchT>(VoucherPatch, {
    value: typedToValue(current.kind, values.value?.trim(), currency),
    active: values.active === 'true',
    max_uses: values.max_uses || undefined,
    valid_until: isoOf(values.valid_until, zone, { iso: current.valid_until, zone }) || undefined,
  })
  const over = overPercent(current.kind, values.value)
  if (!parsed.ok || over)
    return { errors: withErrors(parsed.ok ? NO_ERRORS : parsed.errors, over ? { value: over } : {}) }
  // The row has no start field: the end is checked against the voucher's own start.
  const from = current.valid_from
  const ends = from ? endError(from, parsed.value.valid_until, when(from, zone)) : undefined
  if (ends) return { errors: withErrors(NO_ERRORS, { valid_until: ends }) }
  // And the limit against its uses (the service refuses it too, in the API's words). A limit under 2 always fits:
  // the schema's least is 1, so a refusal means at least 2 uses.
  const limit = parsed.value.max_uses
  if (typeof limit === 'number' && limit < current.uses) {
    const max_uses = `Enter ${current.uses} or more (it has been used ${current.uses} times), or leave it empty for no limit`
    return { errors: withErrors(NO_ERRORS, { max_uses }) }
  }
  // An emptied limit or end date is a removal.
  return {
    input: {
      ...parsed.value,
      max_uses: parsed.value.max_uses ?? null,
      valid_until: parsed.value.valid_until ?? null,
    },
  }
}

interface NewState {
  values: Values
  sections: string[]
  errors: FormErrors
}

/** A row's change refused: the row opens again with what was typed and each reason beside its field. */
interface RowState {
  id: number
  values: Values
  errors: FormErrors
}

/** A voucher's state in words: whether a buyer can use it now, and if not, why. */
function voucherStatus(v: VoucherT, now = Date.now()): string {
  if (!v.active) return 'Inactive'
  if (v.max_uses !== null && v.uses >= v.max_uses) return 'Used up'
  if (v.valid_until !== null && new Date(v.valid_until).getTime() <= now) return 'Ended'
  if (v.valid_from !== null && new Date(v.valid_from).getTime() > now) return 'Not started'
  return 'Active'
}

function VouchersPage(p: {
  ctx: PageCtx
  event: EventT
  vouchers: VoucherT[]
  state?: NewState
  row?: RowState
}): JSX.Element {
  const e = p.event
  const v = p.state?.values ?? { kind: 'percent' }
  const errors = p.state?.errors
  const sectionName = (id: number) => e.sections.find((s) => s.id === id)?.name ?? `#${id}`
  const base = `/organizer/events/${e.id}/vouchers`
  const row = p.row
  const refused = row ? p.vouchers.find((x) => x.id === row.id) : undefined
  const [firstField, firstMessage] = Object.entries(row?.errors.fields ?? {})[0] ?? []
  return (
    <Layout ctx={p.ctx} title={`Vouchers · ${e.title}`}>
      <h1 safe>{`Vouchers: ${e.title}`}</h1>
      {row ? (
        // The refused row is far down a long list on a phone: the top says which, and leads to its first field.
        <p class="error-summary" role="alert">
          <a href={`#v${row.id}-${firstField ?? 'value'}`} safe>
            {`${refused?.code ?? 'The voucher'} was not saved. ${firstField ? `${ROW_LABELS[firstField] ?? 'Check the values'}: ${firstMessage}` : (row.errors.form ?? '')}`}
          </a>
        </p>
      ) : (
        ''
      )}
      <p>
        <a href={`/organizer/events/${e.id}`} safe>{`Back to ${e.title}`}</a> ·{' '}
        <a href={`/organizer/events/${e.id}/waitlist`}>Waiting list</a>
      </p>
      {p.vouchers.length === 0 ? (
        <p>No vouchers yet.</p>
      ) : (
        <section class="table-wrap" tabindex="0" aria-label="Vouchers">
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Code</th>
                <th scope="col">Discount</th>
                <th scope="col">Sections</th>
                <th scope="col">Uses</th>
                <th scope="col">Valid</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {p.vouchers.map((x) => {
                const mine = row?.id === x.id ? row : undefined
                const typed = (name: string, shown: string) => mine?.values[name] ?? (mine ? '' : shown)
                return (
                  <tr>
                    <th scope="row" safe>
                      {x.code}
                    </th>
                    <td data-label="Discount" safe>
                      {worth(x, e.currency)}
                    </td>
                    <td data-label="Sections">
                      {x.section_ids ? <span safe>{x.section_ids.map(sectionName).join(', ')}</span> : 'All'}
                    </td>
                    <td
                      data-label="Uses"
                      safe
                    >{`${x.uses}${x.max_uses === null ? '' : ` of ${x.max_uses}`}`}</td>
                    <td data-label="Valid" safe>
                      {`${x.valid_from ? `from ${when(x.valid_from, e.timezone)}` : ''}${x.valid_from && x.valid_until ? ' ' : ''}${x.valid_until ? `until ${when(x.valid_until, e.timezone)}` : ''}` ||
                        'Always'}
                    </td>
                    <td data-label="Status" safe>
                      {voucherStatus(x)}
                    </td>
                    <td>
                      <details open={mine !== undefined}>
                        <summary safe>{`Change ${x.code}`}</summary>
                        <form method="post" action={`${base}/${x.id}`}>
                          <CsrfField token={p.ctx.csrf} />
                          <Field
                            id={`v${x.id}-value`}
                            name="value"
                            label={x.kind === 'percent' ? 'Percent off' : `Amount off (${e.currency})`}
                            value={typed('value', typedValue(x, e.currency))}
                            error={mine?.errors.fields.value}
                            required
                          />
                          <Field
                            id={`v${x.id}-max_uses`}
                            name="max_uses"
                            label="Maximum uses (empty: no limit)"
                            type="number"
                            min="1"
                            value={typed('max_uses', x.max_uses === null ? '' : String(x.max_uses))}
                            error={mine?.errors.fields.max_uses}
                          />
                          <Field
                            id={`v${x.id}-valid_until`}
                            name="valid_until"
                            label="Valid until (empty: no end)"
                            type="datetime-local"
                            value={typed('valid_until', localOf(x.valid_until, e.timezone))}
                            error={mine?.errors.fields.valid_until}
                          />
                          <label>
                            <input
                              type="checkbox"
                              name="active"
                              value="true"
                              checked={mine ? mine.values.active === 'true' : x.active}
                            />
                            Active
                          </label>
                          <button type="submit">Save</button>
                        </form>
                      </details>
                      <form method="post" action={`${base}/${x.id}/delete`} class="inline">
                        <CsrfField token={p.ctx.csrf} />
                        <button type="submit" class="secondary" aria-label={attr(`Delete ${x.code}`)}>
                          Delete
                        </button>
                      </form>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        </section>
      )}
      <h2>New voucher</h2>
      <form method="post" action={base}>
        <CsrfField token={p.ctx.csrf} />
        <ErrorSummary errors={errors} labels={NEW_LABELS} />
        <Field
          name="code"
          label={NEW_LABELS.code}
          value={v.code}
          error={errors?.fields.code}
          hint="Letters, digits, - and _; buyers may type it in any case"
          required
          maxlength={64}
        />
        <label for="f-kind">
          Kind
          <select id="f-kind" name="kind">
            <option value="percent" selected={v.kind !== 'amount'}>
              Percent off each ticket
            </option>
            <option value="amount" selected={v.kind === 'amount'} safe>
              {`Amount off each ticket (${e.currency})`}
            </option>
          </select>
        </label>
        <Field
          name="value"
          label={NEW_LABELS.value}
          value={v.value}
          error={errors?.fields.value}
          hint="A percentage (1–100) or an amount such as 5.00"
          required
        />
        <fieldset>
          <legend>Sections (none ticked: every section)</legend>
          {e.sections.map((s) => (
            <label>
              <input
                type="checkbox"
                name="section_ids"
                value={String(s.id)}
                checked={p.state?.sections.includes(String(s.id)) ?? false}
              />
              <span safe>{s.name}</span>
            </label>
          ))}
          {errors?.fields.section_ids ? (
            <small class="field-error" safe>
              {errors.fields.section_ids}
            </small>
          ) : (
            ''
          )}
        </fieldset>
        <Field
          name="max_uses"
          label={NEW_LABELS.max_uses}
          type="number"
          value={v.max_uses}
          error={errors?.fields.max_uses}
        />
        <Field
          name="valid_from"
          label={NEW_LABELS.valid_from}
          type="datetime-local"
          value={v.valid_from}
          error={errors?.fields.valid_from}
          hint={`On the event's clock (${e.timezone})`}
        />
        <Field
          name="valid_until"
          label={NEW_LABELS.valid_until}
          type="datetime-local"
          value={v.valid_until}
          error={errors?.fields.valid_until}
          hint={`On the event's clock (${e.timezone})`}
        />
        <button type="submit">Create voucher</button>
      </form>
    </Layout>
  )
}

const STATUS_WORDS: Record<WaitlistEntryT['status'], string> = {
  waiting: 'Waiting',
  offered: 'Offered (held, unpaid)',
  converted: 'Paid',
  expired: 'Expired',
  left: 'Left',
}

function WaitlistPage(p: {
  ctx: PageCtx
  event: EventT
  entries: WaitlistEntryT[]
  page: number
  totalPages: number
}): JSX.Element {
  const e = p.event
  const sectionName = (id: number) => e.sections.find((s) => s.id === id)?.name ?? `#${id}`
  const waiter = (x: WaitlistEntryT) =>
    x.user ? `${x.user.display_name} (@${x.user.username})` : 'A deleted account'
  return (
    <Layout ctx={p.ctx} title={`Waiting list · ${e.title}`}>
      <h1 safe>{`Waiting list: ${e.title}`}</h1>
      <p>
        <a href={`/organizer/events/${e.id}`} safe>{`Back to ${e.title}`}</a> ·{' '}
        <a href={`/organizer/events/${e.id}/vouchers`}>Vouchers</a>
      </p>
      <p>In the order it is served: when places come back, the first waiting entry that fits gets them.</p>
      {p.entries.length === 0 ? (
        <p>No one is waiting.</p>
      ) : (
        <section class="table-wrap" tabindex="0" aria-label="Waiting list in order">
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Joined</th>
                <th scope="col">Who</th>
                <th scope="col">Section</th>
                <th scope="col">Tickets</th>
                <th scope="col">Together</th>
                <th scope="col">Place</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {p.entries.map((x) => (
                <tr>
                  <th scope="row">
                    <time datetime={x.created_at} safe>
                      {when(x.created_at)}
                    </time>
                  </th>
                  <td data-label="Who" safe>
                    {waiter(x)}
                  </td>
                  <td data-label="Section" safe>
                    {sectionName(x.section_id)}
                  </td>
                  <td data-label="Tickets" safe>
                    {String(x.quantity)}
                  </td>
                  <td data-label="Together">{x.together ? 'Yes' : 'No'}</td>
                  <td data-label="Place" safe>
                    {x.position === null ? '—' : String(x.position)}
                  </td>
                  <td data-label="Status" safe>
                    {STATUS_WORDS[x.status]}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <Pager
        page={p.page}
        totalPages={p.totalPages}
        href={(n) => `?page=${n}`}
        words={['← Earlier', 'Later →']}
      />
    </Layout>
  )
}

export async function organizerVoucherPages(app: FastifyInstance) {
  const { ctx } = app
  const params = Type.Object({ id: Id })
  const voucherParams = Type.Object({ id: Id, voucher_id: Id })

  async function show(
    req: FastifyRequest,
    reply: FastifyReply,
    id: number,
    forms: { state?: NewState; row?: RowState } = {},
    status = 200,
  ) {
    const user = req.webUser!
    const event = await managedEvent(app, user, id)
    const page = await listVouchers(ctx, user, id, requestedPage(req, PER_PAGE))
    return sendHtml(
      req,
      reply,
      <VouchersPage
        ctx={pageCtx(req, reply)}
        event={event}
        vouchers={page.data}
        state={forms.state}
        row={forms.row}
      />,
      status,
    )
  }

  app.get('/organizer/events/:id/vouchers', { schema: { hide: true, params } }, async (req, reply) => {
    if (!requireUser(req, reply)) return reply
    return show(req, reply, (req.params as { id: number }).id)
  })

  app.post('/organizer/events/:id/vouchers', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    const event = await managedEvent(app, user, id)
    const form = readNew(req.body, event.currency, event.timezone)
    if (!form.input) {
      return show(
        req,
        reply,
        id,
        { state: { values: form.values, sections: form.sections, errors: form.errors } },
        FORM_INVALID,
      )
    }
    try {
      const created = await createVoucher(ctx, user, id, form.input)
      flash(reply, 'success', `Voucher ${created.code} created.`)
      return seeOther(reply, `/organizer/events/${id}/vouchers`)
    } catch (err) {
      const errors = formErrorsOf(err, { VOUCHER_CODE_TAKEN: 'code' })
      // A value the service refuses (a percentage over 100) is a field to mend, as the form's own checks are:
      // 422, in a sentence. A conflict keeps its own status.
      const status = (err as { status?: number }).status === 409 ? 409 : FORM_INVALID
      return show(req, reply, id, { state: { values: form.values, sections: form.sections, errors } }, status)
    }
  })

  /** Runs a change of one voucher; its outcome is a message on the vouchers page. */
  async function change(reply: FastifyReply, id: number, run: () => Promise<string>) {
    try {
      flash(reply, 'success', await run())
    } catch (err) {
      const errors = formErrorsOf(err)
      flash(reply, 'error', errors.form ?? Object.values(errors.fields)[0] ?? 'That could not be done')
    }
    return seeOther(reply, `/organizer/events/${id}/vouchers`)
  }

  app.post(
    '/organizer/events/:id/vouchers/:voucher_id',
    { schema: { hide: true, params: voucherParams } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id, voucher_id } = req.params as { id: number; voucher_id: number }
      const event = await managedEvent(app, user, id)
      const current = await getVoucher(ctx, user, id, voucher_id)
      const { values } = strings(req.body)
      const form = readChange(values, current, event.currency, event.timezone)
      const input = form.input
      // Refused, the page comes back with the row open, what was typed in it and each reason beside its field.
      if (!input)
        return show(req, reply, id, { row: { id: voucher_id, values, errors: form.errors } }, FORM_INVALID)
      try {
        const saved = await updateVoucher(ctx, user, id, voucher_id, input)
        flash(reply, 'success', `Voucher ${saved.code} saved${saved.active ? '' : ' (inactive)'}.`)
        return seeOther(reply, `/organizer/events/${id}/vouchers`)
      } catch (err) {
        const errors = formErrorsOf(err)
        const status = (err as { status?: number }).status === 409 ? 409 : FORM_INVALID
        return show(req, reply, id, { row: { id: voucher_id, values, errors } }, status)
      }
    },
  )

  app.post(
    '/organizer/events/:id/vouchers/:voucher_id/delete',
    { schema: { hide: true, params: voucherParams } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id, voucher_id } = req.params as { id: number; voucher_id: number }
      await managedEvent(app, user, id)
      return change(reply, id, async () => {
        await deleteVoucher(ctx, user, id, voucher_id).catch(async (err: unknown) => {
          // The API's words name its field (active: false); the page's name the row's box.
          if (!(err instanceof AppError) || err.code !== 'VOUCHER_IN_USE') throw err
          const { code } = await getVoucher(ctx, user, id, voucher_id)
          throw new AppError(
            'VOUCHER_IN_USE',
            `${code} has been used, so it cannot be deleted: to stop it, untick Active under “Change ${code}” and save`,
          )
        })
        return 'Voucher deleted.'
      })
    },
  )

  app.get('/organizer/events/:id/waitlist', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    const event = await managedEvent(app, user, id)
    const page = await listEventWaitlist(ctx, user, id, requestedPage(req, PER_PAGE))
    return sendHtml(
      req,
      reply,
      <WaitlistPage
        ctx={pageCtx(req, reply)}
        event={event}
        entries={page.data}
        page={page.page}
        totalPages={page.total_pages}
      />,
    )
  })
}
