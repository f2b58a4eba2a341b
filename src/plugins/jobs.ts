// The job queue (pg-boss in the `pgboss` schema of our database): enqueueing for every process, and the
// workers, cron clock and maintenance in this process unless WORKERS_IN_PROCESS=false.
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { createBoss, prepareQueues } from '../jobs/boss.js'
import { createJobQueue, type JobQueue, startWorkers } from '../jobs/queue.js'
import { createMailer, type Mailer } from '../mail/transport.js'
import { serveWaitlist } from '../modules/box-office/waitlist.serve.js'
import { runWebhookJob } from '../modules/webhooks/webhooks.deliver.js'

declare module 'fastify' {
  interface FastifyInstance {
    jobs: JobQueue
  }
}

export interface JobsPluginOptions {
  config: Config
  /** Run workers here; default WORKERS_IN_PROCESS (`stagedoor worker` forces true). */
  workers?: boolean
}

export default fp<JobsPluginOptions>(
  async (app, { config, workers = config.WORKERS_IN_PROCESS }) => {
    const { boss, db } = createBoss(app.database, config, { workers })
    // pg-boss reports failed polls and maintenance here instead of throwing; a database blip must not
    // crash the process, and the next poll tries again.
    boss.on('error', (err) => app.log.error({ err }, 'job queue error'))
    await boss.start()
    await prepareQueues(boss)
    app.decorate('jobs', createJobQueue(boss, config))

    let mailer: Mailer | undefined
    if (workers) {
      // Workers need the service context, which exists once every plugin has loaded.
      app.addHook('onReady', async () => {
        mailer = createMailer(config, app.log)
        await startWorkers(boss, config, {
          ctx: app.ctx,
          mailer,
          schedules: config.JOBS_SCHEDULES_ENABLED,
          serveWaitlist,
          deliverWebhook: runWebhookJob,
        })
        app.log.info({ mail: mailer.kind }, 'job workers started')
      })
    }

    // preClose: before any onClose hook can close the database (tests close their PGlite in one). Workers
    // take no new job and a running one may finish, leaving the shutdown budget some room for HTTP.
    app.addHook('preClose', async () => {
      const timeout = Math.max(1000, config.SHUTDOWN_TIMEOUT * 1000 - 2000)
      await boss.stop({ graceful: true, timeout, wait: true })
      await db.drain()
      mailer?.close()
    })
  },
  { name: 'jobs', dependencies: ['db'] },
)
