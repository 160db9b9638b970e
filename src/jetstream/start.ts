/**
 * What the server loads, on demand, when JetStream is enabled: the service wired to the bus and
 * to its consumer side. Kept apart from server.ts so that a broker without JetStream never
 * loads the JetStream code (see loader.ts for why that matters).
 */
import type { DirectApi } from "../direct/direct-api.ts";
import type { Logger } from "../base/logger.ts";
import type { Account } from "../core/account.ts";
import { createBus } from "./bus.ts";
import { StreamConsumers } from "./consumer/manager.ts";
import type { ResolvedJetStreamOptions } from "./jetstream-options.ts";
import { JetStream } from "./jetstream.ts";

export function startJetStream(account: Account, direct: DirectApi, options: ResolvedJetStreamOptions, logger: Logger, serverName: string): JetStream {
  return new JetStream(createBus(account, direct, logger), options, logger, (context) => new StreamConsumers(context), serverName);
}
