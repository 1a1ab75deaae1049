import { AdclickError, ErrorCodes } from '../shared/errors/errors.ts';
import { cassandraService } from './cassandra/cassandra.ts';
import { kafkaService } from './kafka/kafka.ts';
import { redisService } from './redis/redis.ts';
import { s3Service } from './s3/s3.ts';
import type { LocalService } from './types.ts';

/** Every service `adclick up` manages, in the order `status` prints them. */
export const SERVICES: readonly LocalService[] = [kafkaService, cassandraService, s3Service, redisService];

/**
 * The services named in `names` (all when undefined), in registry order.
 *
 * @throws AdclickError `CONFIG_INVALID` for an unknown name, listing the known ones.
 */
export function selectServices(
  names?: readonly string[],
  registry: readonly LocalService[] = SERVICES,
): LocalService[] {
  if (names === undefined) return [...registry];
  const known = registry.map((s) => s.name);
  const unknown = names.filter((n) => !(known as string[]).includes(n));
  if (unknown.length > 0) {
    throw new AdclickError(
      ErrorCodes.CONFIG_INVALID,
      `unknown service ${unknown.map((n) => `"${n}"`).join(', ')}; expected some of: ${known.join(', ')}`,
    );
  }
  return registry.filter((s) => names.includes(s.name));
}
