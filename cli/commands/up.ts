import { formatStatus, status, up } from '../../infra/commands.ts';
import type { InfraContext } from '../../infra/types.ts';
import { parseOptions } from '../args.ts';
import type { CliCommand, CommandContext } from '../types.ts';

/** The infrastructure context every infra command builds from the CLI context. */
export function infraContext(ctx: CommandContext): InfraContext {
  const config = ctx.config();
  return { config, logger: ctx.logger(), home: config.home };
}

const SERVICES = 'kafka, cassandra, s3, redis';

export const command: CliCommand = {
  name: 'up',
  summary: 'Install (once) and start the local Kafka, Cassandra, S3 store and Redis; wait until healthy',
  help: `Usage: adclick up [--only <services>]

Downloads Kafka 3.9 and Cassandra 5.0 from Maven Central and the S3 store once (cached under
$ADCLICK_HOME/cache), starts every local service that is not already running, waits on real
health checks, creates topics, keyspace/migrations and the bucket, then prints the status.
Services whose env var points at your own cluster (KAFKA_BROKERS, CASSANDRA_CONTACT_POINTS,
S3_ENDPOINT, REDIS_URL) are not started; they are only checked. Running it twice is harmless.

Options:
  --only <list>   comma-separated subset of: ${SERVICES} (default: all)
  -h, --help      this text

Data and logs: $ADCLICK_HOME (default .adclick/): data/<service>/, logs/<service>.log, run/<service>.pid`,
  async run(ctx) {
    const opts = parseOptions('up', ctx.argv, { only: { type: 'string' } });
    const infra = infraContext(ctx);
    const services = opts.only?.split(',').map((s) => s.trim());
    await up(infra, { services });
    const rows = await status(infra);
    console.log(formatStatus(rows));
    return rows.every((r) => r.healthy || (services !== undefined && !services.includes(r.name))) ? 0 : 1;
  },
};
