/**
 * What the server loads, on demand, when JetStream is enabled: the service wired to the bus and
 * to its consumer side, or, for an account without JetStream, the answer that says so. Kept
 * apart from server.ts so that a broker without JetStream never loads the JetStream code (see
 * loader.ts for why that matters).
 */
import type { DirectApi } from "../direct/direct-api.ts";
import type { Logger } from "../base/logger.ts";
import type { Account } from "../core/account.ts";
import { createBus } from "./bus.ts";
import { StreamConsumers } from "./consumer/manager.ts";
import type { ResolvedJetStreamOptions } from "./jetstream-options.ts";
import { JetStream, type JetStreamAccount } from "./jetstream.ts";

import { answerNotEnabled } from "./api/not-enabled.ts";
import type { DirectMsg } from "../direct/direct-message.ts";

export function startJetStream(account: Account, direct: DirectApi, options: ResolvedJetStreamOptions, logger: Logger, serverName: string, owner?: JetStreamAccount): JetStream {
  return new JetStream(createBus(account, direct, logger), options, logger, (context) => new StreamConsumers(context), serverName, owner);
}

/**
 * An account without JetStream: its API subjects answer that (held requests included), through
 * the bus's serving sink, so that what is not an API request still hears no responders.
 */
export function answerNotEnabledFor(account: Account, direct: DirectApi, logger: Logger, prefixes: readonly string[], held: ReadonlyArray<{ msg: DirectMsg; prefixLength: number }>): Array<{ unsubscribe(): void }> {
  const bus = createBus(account, direct, logger);
  const subscriptions = prefixes.map((prefix) => bus.serve(`${prefix}>`, (msg) => answerNotEnabled(msg, prefix.length)));
  for (const { msg, prefixLength } of held) answerNotEnabled(msg, prefixLength);
  return subscriptions;
}
