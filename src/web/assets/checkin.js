// Camera scanning on the check-in page, an enhancement of its form: where the browser has a camera, a button
// starts qr-scanner (loaded only then), and a code it reads fills the form's field and sends the form, exactly
// as a typed code would. Without this script, or without a camera, the form works as it is.
;(() => {
  const camera = document.getElementById('camera')
  const form = document.getElementById('check-in-form')
  const field = document.getElementById('f-code')
  if (!camera || !form || !field || !navigator.mediaDevices?.getUserMedia) return
  const start = document.getElementById('camera-start')
  const stop = document.getElementById('camera-stop')
  const video = document.getElementById('camera-video')
  const note = document.getElementById('camera-note')
  camera.hidden = false
  let scanner = null

  async function open() {
    start.disabled = true
    note.textContent = 'Starting the camera…'
    try {
      const { default: QrScanner } = await import(camera.dataset.scanner)
      video.setAttribute('playsinline', '')
      scanner = new QrScanner(
        video,
        (result) => {
          scanner.stop()
          field.value = result.data
          note.textContent = 'Code read: checking it in…'
          form.requestSubmit()
        },
        { preferredCamera: 'environment', highlightScanRegion: true, maxScansPerSecond: 5 },
      )
      await scanner.start()
      video.hidden = false
      stop.hidden = false
      note.textContent = 'Point the camera at a ticket’s QR code.'
    } catch (err) {
      note.textContent = `The camera could not start (${err?.message ?? err}). Type or paste the code instead.`
      start.disabled = false
    }
  }

  function close() {
    scanner?.stop()
    video.hidden = true
    stop.hidden = true
    start.disabled = false
    note.textContent = ''
  }

  start.addEventListener('click', open)
  stop.addEventListener('click', close)
})()
