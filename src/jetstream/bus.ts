/**
 * The broker as JetStream sees it ({@link BusApi}): the in-process publish and subscribe, an
 * interest check on the account's sublist, and `deliver`, which routes a stored message by one
 * subject (an inbox, a deliver subject) while presenting its own, as nats-server's internal
 * client does. Everything goes through the same router as every other publisher, with
 * JetStream's own publisher cache.
 */
import type { BusApi } from "./shared/contracts.ts";
import type { DirectApi } from "../direct/direct-api.ts";
import type { Account } from "../core/account.ts";
import { deliverTo } from "../core/router.ts";

export function createBus(account: Account, direct: DirectApi): BusApi {
  const publisher = account.publisher();
  return {
    publish: (subject, data, options) => direct.publish(subject, data, options),
    subscribe: (subject, options) => direct.subscribe(subject, options),
    hasInterest(subject) {
      const result = account.sublist.match(subject);
      return result.psubs.length > 0 || result.qsubs.length > 0;
    },
    deliver(deliverSubject, subject, data, options) {
      const headers = options?.headers;
      const hasHeaders = headers !== undefined && headers.length > 0;
      const payload = hasHeaders ? Buffer.concat([headers, data]) : data;
      return deliverTo(publisher.match(deliverSubject), undefined, subject, options?.reply ?? "", hasHeaders ? headers.length : -1, payload, 0, payload.length);
    },
  };
}
