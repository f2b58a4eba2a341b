// Every table, by domain. drizzle-kit reads this file to generate migrations.
export * from './accounts.js'
export * from './boxoffice.js'
export * from './events.js'
export * from './mail.js'
export * from './payments.js'
export * from './social.js'
