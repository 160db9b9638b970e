/**
 * The broker as JetStream sees it ({@link BusApi}): the in-process publish and subscribe, an
 * interest check on the account's sublist, and `deliver`, which routes a stored message by one
 * subject (an inbox, a deliver subject) while presenting its own, as nats-server's internal
 * client does. Everything goes through the same router as every other publisher, with
 * JetStream's own publisher cache.
 */
import type { BusApi } from "./shared/contracts.ts";
import type { DirectApi } from "../direct/direct-api.ts";
import { DirectMsg, type Responder } from "../direct/direct-message.ts";
import type { Account } from "../core/account.ts";
import { deliverRouted, deliverTo } from "../core/router.ts";
import { hasInterest } from "../core/account-links.ts";
import { SinkKind, Subscription, type MessageSink } from "../core/subscription.ts";
import type { Logger } from "../base/logger.ts";
import { MaxPayloadError } from "../base/errors.ts";
import { logCaught } from "./shared/log-caught.ts";

export function createBus(account: Account, direct: DirectApi, logger: Logger): BusApi {
  const publisher = account.publisher();
  let nextServeSid = 1;
  const publish: BusApi["publish"] = (subject, data, options) => {
    try {
      return direct.publish(subject, data, options);
    } catch (err) {
      if (!(err instanceof MaxPayloadError)) throw err;
      // JetStream is an internal client: nats-server's internal sends (sendInternalAccountMsg)
      // never pass the PUB parser's max_payload check, so a STREAM.INFO listing 100,000
      // subjects goes out whole. Rare, so the ordinary path is tried first.
      const block = options?.headers?.encode();
      const body = typeof data === "string" ? Buffer.from(data, "utf8") : (data ?? Buffer.alloc(0));
      const payload = block === undefined ? body : Buffer.concat([block, body]);
      return deliverTo(publisher.match(subject), undefined, subject, options?.reply ?? "", block === undefined ? -1 : block.length, payload, 0, payload.length);
    }
  };
  return {
    publish,
    subscribe: (subject, options) => direct.subscribe(subject, options),
    serve(subject, handler) {
      const respond: Responder = (to, payload, options) => publish(to, payload, options);
      const sid = nextServeSid++;
      const sink: MessageSink = {
        kind: SinkKind.inProcess,
        echo: true,
        guard: undefined,
        deliver(_sub, msgSubject, reply, headerSize, data, start, end) {
          try {
            return handler(new DirectMsg(msgSubject, reply, sid, data, start, end, headerSize, respond));
          } catch (err) {
            logCaught(logger, `JetStream ${msgSubject}`, err);
            return true;
          }
        },
        maxReached() {},
      };
      const entry = new Subscription(sink, subject, undefined, `js-${sid}`);
      account.sublist.insert(entry);
      return { unsubscribe: () => void account.sublist.remove(entry) };
    },
    hasInterest: (subject) => hasInterest(account, subject),
    maxPayload: () => direct.maxPayload,
    deliver(deliverSubject, subject, data, options) {
      const headers = options?.headers;
      const hasHeaders = headers !== undefined && headers.length > 0;
      const payload = hasHeaders ? Buffer.concat([headers, data]) : data;
      return deliverRouted(publisher.match(deliverSubject), deliverSubject, subject, options?.reply ?? "", hasHeaders ? headers.length : -1, payload, 0, payload.length);
    },
  };
}
