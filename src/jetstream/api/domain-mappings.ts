/**
 * The subject mappings nats-server adds for a JetStream domain beside the API prefix
 * (server/jetstream_api.go `generateJSMappingTable`): a client bound to domain `d` writes KV
 * values on `$JS.d.API.$KV.<bucket>.<key>` (the KV client puts its API prefix in front of
 * `$KV.` whenever that prefix is not `$JS.API`), and the server hands them on as
 * `$KV.<bucket>.<key>`, where the bucket's stream captures them; `$JS.d.API.$OBJ.>` likewise.
 * The broker has no subject mappings, so the domain's API subscription forwards these writes,
 * header block, body and reply subject untouched: the PubAck goes straight to the writer.
 */
import type { DirectMsg } from "../../direct/direct-message.ts";
import type { BusApi } from "../shared/contracts.ts";

const OWN_API_PREFIX = "$JS.API.";

/**
 * The subject a write on the domain's API prefix maps to (`$KV.…`, `$OBJ.…`), or undefined for
 * an ordinary API request. `prefixLength` is the length of the API prefix the message came in
 * on; only a domain prefix maps (`$JS.API.$KV.…` is nobody's subject, as in nats-server).
 */
export function mappedDomainWrite(subject: string, prefixLength: number): string | undefined {
  if (subject.startsWith(OWN_API_PREFIX)) return undefined;
  const rest = subject.slice(prefixLength);
  return rest.startsWith("$KV.") || rest.startsWith("$OBJ.") ? rest : undefined;
}

/** Publishes `msg` again on `target`, as a mapped subject: same headers, body and reply. */
export function forwardWrite(bus: BusApi, msg: DirectMsg, target: string): void {
  const headers = msg.rawHeaders;
  bus.deliver(target, target, msg.data, { reply: msg.reply, ...(headers !== undefined && { headers }) });
}
