// One event in a list (the home page, search): date, venue, lowest price, availability in words.
import type { EventT } from '../../modules/events/events.schemas.js'
import { eventAvailability, lowestPrice, when } from '../format.js'

export function EventCard(p: {
  event: EventT
  friendsGoing?: { username: string; display_name: string }[]
  /** The title's heading level: 2 in a page's main list, 3 under a section's own heading (search). */
  level?: 2 | 3
}): JSX.Element {
  const e = p.event
  const availability = eventAvailability(e)
  const friends = p.friendsGoing ?? []
  const title = (
    <a href={`/events/${e.id}`} safe>
      {e.title}
    </a>
  )
  return (
    <li>
      <article>
        {p.level === 3 ? <h3>{title}</h3> : <h2>{title}</h2>}
        <p class="meta">
          <time datetime={e.starts_at} safe>
            {when(e.starts_at, e.timezone)}
          </time>
          <br />
          <span safe>{e.venue}</span>
        </p>
        <p>
          {e.min_price_cents !== null ? (
            <span safe>{lowestPrice({ ...e, min_price_cents: e.min_price_cents })}</span>
          ) : (
            ''
          )}{' '}
          <span class={`badge badge-${availability.tone}`} safe>
            {availability.text}
          </span>
        </p>
        {friends.length > 0 ? (
          <p class="meta" safe>
            {`Friends going: ${friends
              .slice(0, 3)
              .map((f) => f.display_name)
              .join(', ')}${friends.length > 3 ? ` and ${friends.length - 3} more` : ''}`}
          </p>
        ) : (
          ''
        )}
      </article>
    </li>
  )
}
