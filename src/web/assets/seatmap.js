// The seat map: the seated sections' checkboxes (a plain form without this script) become a map to click. Ticking
// a seat chooses its section and sets the number of tickets; seats ticked in another section are unticked (they
// would not be part of this order); a line under the map says what is chosen, politely, to screen readers too.
// With several seated sections only the chosen one's map shows: every map, one after another, made a phone's page
// many screens long (choosing a section shows its map).
// Arrow keys move between seats: left and right along the row, up and down to the same place in the next row.
;(() => {
  const form = document.querySelector('form.reserve-form')
  if (!form) return
  const maps = [...form.querySelectorAll('fieldset.seat-map[data-section]')]
  if (maps.length === 0) return
  const quantity = form.querySelector('input[name="quantity"]')
  const together = form.querySelector('input[name="together"]')

  const seatsOf = (map) => [...map.querySelectorAll('input[name="seat_ids"]')]
  const nameOf = (input) => input.nextElementSibling?.textContent || input.value

  for (const map of maps) {
    map.classList.add('enhanced')
    const summary = document.createElement('p')
    summary.className = 'seat-summary'
    summary.setAttribute('aria-live', 'polite')
    map.querySelector('legend')?.after(summary)
    map.summary = summary
  }

  const chosenSection = () => form.querySelector('input[name="section_id"]:checked')?.value
  const show = () => {
    const section = chosenSection()
    for (const map of maps) {
      // A map with seats ticked stays in view (a refused form brought them back): they are sent with the form.
      map.hidden = maps.length > 1 && map.dataset.section !== section && !seatsOf(map).some((s) => s.checked)
      const chosen = seatsOf(map).filter((s) => s.checked)
      map.summary.textContent =
        chosen.length === 0
          ? 'No seat chosen: tick seats on the map, or leave them to get the best seats available.'
          : `${chosen.length} seat${chosen.length === 1 ? '' : 's'} chosen: ${chosen.map(nameOf).join(', ')}`
    }
  }

  form.addEventListener('change', (e) => {
    const seat = e.target
    if (!(seat instanceof HTMLInputElement)) return
    // Another section chosen: the seats ticked in the others are not part of the order (the server refuses them).
    if (seat.name === 'section_id') {
      for (const map of maps)
        if (map.dataset.section !== seat.value) for (const s of seatsOf(map)) s.checked = false
      show()
      return
    }
    if (seat.name !== 'seat_ids') return
    const map = seat.closest('fieldset.seat-map')
    if (seat.checked) {
      for (const other of maps) if (other !== map) for (const s of seatsOf(other)) s.checked = false
      const radio = form.querySelector(`input[name="section_id"][value="${map.dataset.section}"]`)
      if (radio && !radio.disabled) radio.checked = true
    }
    const count = seatsOf(map).filter((s) => s.checked).length
    if (quantity && count > 0) quantity.value = String(count)
    if (together && count > 0) together.checked = false
    show()
  })

  // Arrow keys: along the row, or to the nearest seat of the row above or below.
  form.addEventListener('keydown', (e) => {
    const seat = e.target
    if (!(seat instanceof HTMLInputElement) || seat.name !== 'seat_ids') return
    const row = seat.closest('.seats')
    const map = seat.closest('fieldset.seat-map')
    if (!row || !map) return
    const rows = [...map.querySelectorAll('.seats')]
    const inRow = (r) => [...r.querySelectorAll('input[name="seat_ids"]')]
    const here = inRow(row)
    const at = here.indexOf(seat)
    let next
    if (e.key === 'ArrowRight') next = here[at + 1]
    else if (e.key === 'ArrowLeft') next = here[at - 1]
    else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const to = rows[rows.indexOf(row) + (e.key === 'ArrowDown' ? 1 : -1)]
      if (to) {
        const there = inRow(to)
        next = there[Math.min(at, there.length - 1)]
      }
    } else return
    e.preventDefault()
    next?.focus()
  })

  show()
})()
