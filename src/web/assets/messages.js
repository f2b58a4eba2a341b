// Messages arrive without a reload: polls for messages newer than the last one shown and appends them, asking
// again at once while the server says more follow; the form sends in the background and the poll shows the
// message. Without this script the page works by reload.
;(() => {
  const list = document.getElementById('messages')
  const form = document.getElementById('message-form')
  if (!list) return
  let busy = false

  async function poll() {
    if (busy) return
    busy = true
    try {
      for (let more = true; more; ) {
        const res = await fetch(`${list.dataset.poll}?after=${list.dataset.after}`, {
          headers: { accept: 'text/html' },
          credentials: 'same-origin',
        })
        more = false
        if (res.status === 200) {
          list.insertAdjacentHTML('beforeend', await res.text())
          const last = list.lastElementChild
          if (last?.dataset.id) list.dataset.after = last.dataset.id
          document.getElementById('no-messages')?.remove()
          more = res.headers.get('x-more-messages') === 'true'
        }
      }
    } catch {
      // Offline for a moment: the next tick tries again.
    } finally {
      busy = false
    }
  }

  setInterval(poll, 3000)
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) poll()
  })

  if (form) {
    form.addEventListener('submit', async (event) => {
      const body = form.elements.namedItem('body')
      if (!body?.value.trim()) return
      event.preventDefault()
      const data = new URLSearchParams(new FormData(form))
      const res = await fetch(form.action, {
        method: 'POST',
        body: data,
        credentials: 'same-origin',
        redirect: 'manual',
      })
      // A redirect (303) is success; anything else: let the browser post it and show the errors.
      if (res.type === 'opaqueredirect' || res.ok) {
        body.value = ''
        await poll()
        body.focus()
      } else {
        form.submit()
      }
    })
  }
})()
