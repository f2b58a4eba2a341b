// Webhook endpoints and their deliveries as the API shows and takes them.
import { type Static, Type } from 'typebox'
import { Id, PageQuery, Timestamp } from '../../lib/schemas.js'

/** What an endpoint may subscribe to; every one concerns one of the owner's events. */
export const WEBHOOK_EVENT_TYPES = [
  'ticket.confirmed',
  'ticket.refunded',
  'ticket.transferred',
  'event.cancelled',
  'check_in.created',
  'waitlist.offered',
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

export const WebhookEventTypeSchema = Type.Union(
  [
    Type.Literal('ticket.confirmed'),
    Type.Literal('ticket.refunded'),
    Type.Literal('ticket.transferred'),
    Type.Literal('event.cancelled'),
    Type.Literal('check_in.created'),
    Type.Literal('waitlist.offered'),
  ],
  { description: 'The type of an event a webhook endpoint receives' },
)

const url = Type.String({
  minLength: 8,
  maxLength: 2000,
  pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$',
  description:
    'http or https. A host that resolves to a loopback, private, link-local or other non-public address ' +
    'is refused (400 WEBHOOK_URL_FORBIDDEN), at creation and again when each delivery connects. A URL ' +
    'with a user name or password in it is 400 VALIDATION_FAILED: the receiver verifies the signature instead.',
})
const events = Type.Array(WebhookEventTypeSchema, { minItems: 1, maxItems: 6, uniqueItems: true })

export const WebhookEndpoint = Type.Object(
  {
    id: Id,
    url: Type.String(),
    events: Type.Array(WebhookEventTypeSchema),
    active: Type.Boolean(),
    created_at: Timestamp,
  },
  { $id: 'WebhookEndpoint' },
)
export type WebhookEndpointT = Static<typeof WebhookEndpoint>

export const WebhookEndpointCreated = Type.Object(
  {
    ...WebhookEndpoint.properties,
    secret: Type.String({
      description:
        'whsec_ and the base64 signing key (Standard Webhooks). Shown once, here: keep it to verify deliveries.',
    }),
  },
  { $id: 'WebhookEndpointCreated' },
)
export type WebhookEndpointCreatedT = Static<typeof WebhookEndpointCreated>

export const WebhookBody = Type.Object({ url, events })
export type WebhookInput = Static<typeof WebhookBody>

export const WebhookPatch = Type.Partial(Type.Object({ url, events, active: Type.Boolean() }), {
  minProperties: 1,
})
export type WebhookPatchT = Static<typeof WebhookPatch>

export const WebhookDelivery = Type.Object(
  {
    id: Id,
    type: WebhookEventTypeSchema,
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    attempts: Type.Integer({ description: 'Attempts made so far' }),
    last_status_code: Type.Union([Type.Integer(), Type.Null()], {
      description:
        "The receiver's last HTTP status; null before the first answer or when none came (timeout, refused)",
    }),
    next_attempt_at: Type.Union([Timestamp, Type.Null()], {
      description: 'While pending: when the next attempt goes',
    }),
    created_at: Timestamp,
  },
  { $id: 'WebhookDelivery' },
)
export type WebhookDeliveryT = Static<typeof WebhookDelivery>

export const WebhookListQuery = Type.Object({ ...PageQuery })
export const DeliveryParams = Type.Object({ id: Id, delivery_id: Id })
