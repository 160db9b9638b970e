/**
 * The broker as JetStream sees it ({@link BusApi}): the in-process publish and subscribe, an
 * interest check on the shared sublist, and `deliver`, which routes a stored message by one
 * subject (an inbox, a deliver subject) while presenting its own, as nats-server's internal
 * client does. Everything goes through the same sublist and router as every other client.
 */
import type { BusApi } from "./contracts.ts";
import type { DirectApi } from "../direct/direct-api.ts";
import type { Sublist } from "../subjects/sublist.ts";
import type { Subscription } from "../core/subscription.ts";
import { routeResult } from "../core/router.ts";

export function createBus(sublist: Sublist<Subscription>, direct: DirectApi): BusApi {
  return {
    publish: (subject, data, options) => direct.publish(subject, data, options),
    subscribe: (subject, options) => direct.subscribe(subject, options),
    hasInterest(subject) {
      const result = sublist.match(subject);
      return result.psubs.length > 0 || result.qsubs.length > 0;
    },
    deliver(deliverSubject, subject, data, options) {
      const headers = options?.headers;
      const payload = headers === undefined || headers.length === 0 ? toBuffer(data) : Buffer.concat([headers, data]);
      const headerSize = headers === undefined || headers.length === 0 ? -1 : headers.length;
      return routeResult(sublist.match(deliverSubject), undefined, subject, options?.reply ?? "", headerSize, payload, 0, payload.length);
    },
  };
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
