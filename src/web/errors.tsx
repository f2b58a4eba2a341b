// The HTML error pages: what a person sees instead of problem+json. Never a stack trace.
import { Layout } from './layout.js'
import type { PageCtx } from './page.js'

const TEXT: Record<number, { title: string; body: string }> = {
  400: { title: 'Bad request', body: 'The address or the form was not understood.' },
  403: {
    title: 'Not allowed',
    body: 'This action was refused. If you were filling in a form, it may have expired: go back, reload the page and try again.',
  },
  404: { title: 'Page not found', body: 'There is nothing here, or it is not yours to see.' },
  409: { title: 'Conflict', body: 'That could not be done in the current state.' },
  405: { title: 'Not a page', body: 'Nothing is shown at this address.' },
  413: { title: 'Too large', body: 'What you sent is too large.' },
  415: { title: 'Not supported', body: 'That kind of file or form is not supported.' },
  429: { title: 'Too many attempts', body: 'Please wait a minute before trying again.' },
  500: { title: 'Something went wrong', body: 'An unexpected error occurred on our side. Please try again.' },
  503: {
    title: 'Temporarily unavailable',
    body: 'The service cannot answer just now. Please try again in a moment.',
  },
}

export function errorText(status: number) {
  return TEXT[status] ?? (status >= 500 ? TEXT[500]! : TEXT[400]!)
}

/**
 * `body` replaces the status's usual words where the page knows better: a page refused on a GET is no form to
 * go back to ("This page is for administrators").
 */
export function ErrorPage(props: {
  ctx: PageCtx
  status: number
  detail?: string
  body?: string
  /** Where to go on from here, before the way back to the events. */
  link?: { href: string; text: string }
}): JSX.Element {
  const text = errorText(props.status)
  return (
    <Layout ctx={props.ctx} title={text.title}>
      <h1 safe>{text.title}</h1>
      <p safe>{props.body ?? text.body}</p>
      {props.detail ? <p safe>{props.detail}</p> : ''}
      {props.link ? (
        <p>
          <a href={props.link.href} safe>
            {props.link.text}
          </a>
        </p>
      ) : (
        ''
      )}
      <p>
        <a href="/">Back to the events</a>
      </p>
    </Layout>
  )
}
