// Request and response shapes of the auth routes.
import { Type } from 'typebox'
import { DisplayName, Email, Password, Username, UserOwn } from '../users/users.schemas.js'

export const RegisterBody = Type.Object({
  email: Email,
  username: Username,
  password: Password,
  display_name: Type.Optional(DisplayName),
})

export const LoginBody = Type.Object({
  email: Type.String({ minLength: 1, maxLength: 254, description: 'Email address or username' }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
})

export const RefreshBody = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 512 }) })

export const LogoutBody = Type.Union([
  Type.Object({ refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })) }),
  Type.Null(),
])

export const TokenPair = Type.Object({
  user: UserOwn,
  access_token: Type.String(),
  refresh_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Access-token lifetime in seconds' }),
})
