// What a person reads when a username or a password is refused: the schema's words ("not in the expected
// form") and the password check's (a fragment after "password") are written for developers.
import { COMMON_PASSWORD, PASSWORD_IS_A_NAME } from '../../lib/passwords.js'
import { USERNAME_PATTERN } from '../../modules/users/users.schemas.js'
import type { FormErrors } from '../page.js'

/** The username rule (USERNAME_PATTERN) in words: the hint, and the error of a name that breaks it. */
export const USERNAME_RULE = 'Use 3 to 30 letters, digits, underscores (_) or dots (.)'

const PASSWORD_SENTENCES: Record<string, string> = {
  [COMMON_PASSWORD]: 'This password is too common: choose another',
  [PASSWORD_IS_A_NAME]: 'Choose a password that is not your username or e-mail address',
}
const usernameRule = new RegExp(USERNAME_PATTERN)

/** `errors` with a refused password's and a malformed username's messages as sentences for a person. */
export function inPeoplesWords(errors: FormErrors, username?: string): FormErrors {
  const fields = { ...errors.fields }
  for (const [name, message] of Object.entries(fields)) fields[name] = PASSWORD_SENTENCES[message] ?? message
  if (fields.username && username && !usernameRule.test(username)) fields.username = USERNAME_RULE
  return { ...errors, fields }
}
