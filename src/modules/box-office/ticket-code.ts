// Signed ticket codes: `base64url(JSON {t, e, v}).base64url(Ed25519 signature)`, signed with the event's own key
// (made on first use), so a door scanner holding the event's public key can check a code offline. `v` is the
// ticket's code_version: a transfer or refund bumps it, and a code shown before then no longer matches.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto'
import { and, eq, sql } from 'drizzle-orm'
import { amongIds, type Db, preparedOnce } from '../../db/client.js'
import { eventCheckInKeys, tickets } from '../../db/schema/index.js'

export type CheckInKeyRow = typeof eventCheckInKeys.$inferSelect

/** What a code says: which ticket of which event, at which version. */
export interface CodeClaims {
  ticketId: number
  eventId: number
  version: number
}

/**
 * The event's key pair, made on first use. Two first uses at once both try to insert and one wins
 * (ON CONFLICT DO NOTHING); both then read the winner's key, so every code of an event has one signer.
 */
export async function eventKey(db: Db, eventId: number): Promise<CheckInKeyRow> {
  const [existing] = await db.select().from(eventCheckInKeys).where(eq(eventCheckInKeys.eventId, eventId))
  if (existing) return existing
  const pair = generateKeyPairSync('ed25519')
  await db
    .insert(eventCheckInKeys)
    .values({
      eventId,
      publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    })
    .onConflictDoNothing({ target: eventCheckInKeys.eventId })
  const [made] = await db.select().from(eventCheckInKeys).where(eq(eventCheckInKeys.eventId, eventId))
  if (!made) throw new Error(`check-in key of event ${eventId} vanished after its insert`)
  return made
}

/** The public key as a JWK (`kty: OKP`, `crv: Ed25519`, `x`). */
export function publicJwk(key: CheckInKeyRow): { kty: string; crv: string; x: string } {
  const jwk = createPublicKey(key.publicKeyPem).export({ format: 'jwk' })
  return { kty: String(jwk.kty), crv: String(jwk.crv), x: String(jwk.x) }
}

/** Signs `claims` with the event's private key. */
function signCode(privateKey: KeyObject, claims: CodeClaims): string {
  const payload = Buffer.from(
    JSON.stringify({ t: claims.ticketId, e: claims.eventId, v: claims.version }),
  ).toString('base64url')
  const signature = sign(null, Buffer.from(payload), privateKey)
  return `${payload}.${signature.toString('base64url')}`
}

const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0

/** The claims of a well-formed code, unverified (its event names the key to check it with); null otherwise. */
export function readCode(code: string): CodeClaims | null {
  const parts = code.trim().split('.')
  if (parts.length !== 2) return null
  try {
    const value: unknown = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'))
    if (typeof value !== 'object' || value === null) return null
    const { t, e, v } = value as Record<string, unknown>
    if (!isPositiveInt(t) || !isPositiveInt(e) || !isPositiveInt(v)) return null
    return { ticketId: t, eventId: e, version: v }
  } catch {
    return null
  }
}

/** True when `code` carries a valid signature of `key`. */
export function signatureValid(key: CheckInKeyRow, code: string): boolean {
  const [payload, signature] = code.trim().split('.')
  if (!payload || !signature) return false
  return verify(
    null,
    Buffer.from(payload),
    createPublicKey(key.publicKeyPem),
    Buffer.from(signature, 'base64url'),
  )
}

/**
 * Parsed private keys by their PEM text, so each server process parses an event's key once, not on every read
 * that shows a code (~360 µs a key against ~26 µs a signature). A key row never changes once written (it is
 * made once, ON CONFLICT DO NOTHING), and keyed by its text the cache cannot hand out another database's key.
 * Each parsed key gets a serial number that names its codes below. Bounded: the oldest goes first.
 */
const signers = new Map<string, { key: KeyObject; serial: number }>()
let signerSerial = 0

/**
 * Codes already signed, by signer serial, ticket, event and version. Ed25519 signatures are deterministic, so
 * a code signed again is the same text; a transfer or refund bumps the version and so asks for a new one.
 */
const signed = new Map<string, string>()
const SIGNERS_KEPT = 1_000
const CODES_KEPT = 10_000

/** The code for `claims` signed with the key in `privateKeyPem`, from the caches when they have it. */
function codeOf(privateKeyPem: string, claims: CodeClaims): string {
  let signer = signers.get(privateKeyPem)
  if (!signer) {
    if (signers.size >= SIGNERS_KEPT) signers.delete(signers.keys().next().value!)
    signer = { key: createPrivateKey(privateKeyPem), serial: ++signerSerial }
    signers.set(privateKeyPem, signer)
  }
  const id = `${signer.serial}:${claims.ticketId}:${claims.eventId}:${claims.version}`
  let code = signed.get(id)
  if (code === undefined) {
    if (signed.size >= CODES_KEPT) signed.delete(signed.keys().next().value!)
    code = signCode(signer.key, claims)
    signed.set(id, code)
  }
  return code
}

// The two reads of a code, prepared (built by drizzle and planned once, not on every ticket page): which of the
// tickets the holder may be shown a code for, and their events' keys.
const claimsStatement = (db: Db) =>
  preparedOnce(db, 'ticket_code_claims', (d, name) =>
    d
      .select({ id: tickets.id, eventId: tickets.eventId, version: tickets.codeVersion })
      .from(tickets)
      .where(
        and(
          amongIds(tickets.id, 'ids'),
          eq(tickets.holderId, sql.placeholder('holder')),
          eq(tickets.status, 'confirmed'),
        ),
      )
      .prepare(name),
  )

const keysStatement = (db: Db) =>
  preparedOnce(db, 'ticket_code_keys', (d, name) =>
    d.select().from(eventCheckInKeys).where(amongIds(eventCheckInKeys.eventId, 'events')).prepare(name),
  )

/**
 * The codes of those of `ticketIds` that `holderId` holds and that are confirmed, by ticket id: a code is
 * shown to the one who attends, and only while it can get them in. Call with the pool handle.
 */
export async function codesFor(db: Db, holderId: number, ticketIds: number[]): Promise<Map<number, string>> {
  const codes = new Map<number, string>()
  if (ticketIds.length === 0) return codes
  const rows = await claimsStatement(db).execute({ ids: ticketIds, holder: holderId })
  if (rows.length === 0) return codes
  // The events' keys in one read (an event without one yet gets it made).
  const eventIds = [...new Set(rows.map((r) => r.eventId))]
  const found = await keysStatement(db).execute({ events: eventIds })
  const keys = new Map<number, string>()
  for (const eventId of eventIds) {
    const row = found.find((k) => k.eventId === eventId) ?? (await eventKey(db, eventId))
    keys.set(eventId, row.privateKeyPem)
  }
  for (const r of rows) {
    codes.set(r.id, codeOf(keys.get(r.eventId)!, { ticketId: r.id, eventId: r.eventId, version: r.version }))
  }
  return codes
}

/** The tickets, each confirmed one that `holderId` holds carrying its `code`. */
export async function withCodes<T extends { id: number; code?: string }>(
  db: Db,
  holderId: number,
  list: T[],
): Promise<T[]> {
  const codes = await codesFor(
    db,
    holderId,
    list.map((t) => t.id),
  )
  return list.map((t) => (codes.has(t.id) ? { ...t, code: codes.get(t.id)! } : t))
}
