// Live availability on an event page: every 30 seconds, while the tab is visible, reads the event
// (GET /api/v1/events/{id}, the same answer the API gives everyone) and updates each section's availability and
// whether it can still be chosen. A section that sells out (or comes back) is said to screen readers. Without this
// script the page shows what was true when it was loaded.
;(() => {
  const root = document.querySelector('[data-availability-event]')
  if (!root) return
  const url = `/api/v1/events/${root.dataset.availabilityEvent}`
  const EVERY = 30_000
  const announce = document.getElementById('availability-announce')
  let timer = null
  let last = Date.now()

  // The words the server uses (web/format.ts, sectionAvailability); the "few" threshold comes from the page.
  const words = (s, few) => {
    if (s.available > 0) return s.available <= few ? `Only ${s.available} left` : `${s.available} available`
    if (s.held > 0) return 'Sold out for now: held by others, may free up in a few minutes'
    return 'Sold out'
  }

  async function refresh() {
    last = Date.now()
    try {
      const res = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'omit' })
      if (!res.ok) return
      const event = await res.json()
      const changes = []
      for (const s of event.sections || []) {
        for (const cell of document.querySelectorAll(`[data-availability="${s.id}"]`)) {
          const text = words(s, Number(cell.dataset.few || 0))
          if (cell.textContent !== text) cell.textContent = text
        }
        const radio = document.querySelector(`input[name="section_id"][value="${s.id}"]`)
        if (radio) {
          const soldOut = s.available === 0
          if (radio.disabled !== soldOut) {
            changes.push(soldOut ? `${s.name} is sold out.` : `${s.name} is on sale again.`)
            radio.disabled = soldOut
            if (soldOut) radio.checked = false
          }
        }
      }
      if (announce && changes.length > 0) announce.textContent = changes.join(' ')
    } catch {
      // Offline for a moment: the next tick tries again.
    }
  }

  const start = () => {
    if (timer) return
    if (Date.now() - last >= EVERY) refresh()
    timer = setInterval(refresh, EVERY)
  }
  const stop = () => {
    clearInterval(timer)
    timer = null
  }
  document.addEventListener('visibilitychange', () => (document.hidden ? stop() : start()))
  if (!document.hidden) start()
})()
