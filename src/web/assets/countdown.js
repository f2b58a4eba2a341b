// The checkout's countdown. The server renders the deadline and stamps the page with its own time; this only
// ticks, correcting for the difference between the server's clock and this device's. Screen readers hear it
// only near the end (two minutes, one minute, thirty seconds, then the lapse), not every second. When the page
// offers to extend the hold (WCAG 2.2.1), the form is brought forward near the end and the announcements name it.
;(() => {
  const deadline = document.getElementById('hold-deadline')
  const remaining = document.getElementById('hold-remaining')
  const announce = document.getElementById('hold-announce')
  const extend = document.getElementById('extend-hold')
  if (!deadline || !remaining || !announce) return
  const end = Date.parse(deadline.getAttribute('datetime') || '')
  const serverNow = Date.parse(deadline.dataset.serverNow || '')
  if (Number.isNaN(end) || Number.isNaN(serverNow)) return
  const skew = serverNow - Date.now()
  const said = new Set()
  const marks = [120, 60, 30]
  const words = (s) => {
    const m = Math.floor(s / 60)
    const r = s % 60
    return m > 0
      ? `${m} minute${m === 1 ? '' : 's'} ${r} second${r === 1 ? '' : 's'}`
      : `${r} second${r === 1 ? '' : 's'}`
  }
  const tick = () => {
    const left = Math.max(0, Math.round((end - (Date.now() + skew)) / 1000))
    const mm = String(Math.floor(left / 60))
    const ss = String(left % 60).padStart(2, '0')
    remaining.textContent = left > 0 ? ` (${mm}:${ss} left)` : ''
    for (const mark of marks) {
      if (left <= mark && left > 0 && !said.has(mark)) {
        said.add(mark)
        announce.textContent = extend
          ? `Your hold ends in ${words(left)}. To keep your tickets longer, use the Extend my hold button.`
          : `Your hold ends in ${words(left)}.`
      }
    }
    if (extend && left > 0 && left <= marks[0]) extend.classList.add('urgent')
    if (left === 0) {
      if (extend) extend.hidden = true
      announce.textContent = deadline.dataset.expiredText || ''
      remaining.textContent = ' (lapsed)'
      clearInterval(timer)
    }
  }
  // Marks already passed when the page opens are not announced late.
  const first = Math.round((end - (Date.now() + skew)) / 1000)
  for (const mark of marks) if (first <= mark) said.add(mark)
  const timer = setInterval(tick, 1000)
  tick()
})()
