/**
 * The system account's services, as nats-server's events.go: request endpoints that answer the
 * monitoring data over NATS (`$SYS.REQ.SERVER.PING.VARZ`, `$SYS.REQ.SERVER.<id>.CONNZ`,
 * `$SYS.REQ.ACCOUNT.<account>.CONNZ`, ...), the events (`$SYS.ACCOUNT.<account>.CONNECT` and
 * `DISCONNECT`, `$SYS.SERVER.<id>.STATSZ`), and `$SYS.REQ.USER.INFO`, which any client may ask
 * about itself. Everything is published in the system account, so only its users see it.
 *
 * The endpoints are subscriptions in the system account's sublist whose sink answers at once:
 * the router carries requests to them like to any subscriber.
 */
import { randomBytes } from "node:crypto";
import type { Account } from "../core/account.ts";
import type { Client } from "../core/client.ts";
import type { Permissions } from "../core/permissions.ts";
import type { PublisherCache } from "../core/publisher-cache.ts";
import { route } from "../core/router.ts";
import { SinkKind, Subscription, type MessageSink, type Payload } from "../core/subscription.ts";
import type { ConnzOptions } from "../monitor/connz.ts";
import type { JszOptions } from "../monitor/jsz.ts";
import type { LeafzOptions } from "../monitor/leafz.ts";
import type { SubszOptions } from "../monitor/subsz.ts";

/** What the services read from the server. */
export interface SystemHost {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly version: string;
  readonly jetstream: boolean;
  readonly domain: string | undefined;
  varz(): unknown;
  connz(options: ConnzOptions): unknown;
  subsz(options: SubszOptions): unknown;
  jsz(options: JszOptions): unknown;
  leafz(options: LeafzOptions): unknown;
  healthz(): unknown;
  /** nats-server's ServerStats (`statsz`). */
  statsz(): unknown;
  /** Called when a system callback threw: it must not unwind the publish that reached it. */
  error(err: unknown): void;
}

type Body = Record<string, unknown>;
type Endpoint = (body: Body, account: string | undefined) => unknown;

/** A request nats-server refuses: answered with `error: { code, description }`. */
class RequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** nats-server's statsz heartbeat: first after 250 ms, doubling up to every 10 s (events.go). */
const STATSZ_FIRST_MS = 250;
const STATSZ_MAX_MS = 10_000;

export class SystemServices {
  readonly #account: Account;
  readonly #host: SystemHost;
  readonly #publisher: PublisherCache;
  readonly #subs: Subscription[] = [];
  #seq = 0;
  #statszDelay = STATSZ_FIRST_MS;
  #statszTimer: NodeJS.Timeout | undefined;

  constructor(account: Account, host: SystemHost) {
    this.#account = account;
    this.#host = host;
    this.#publisher = account.publisher();
    const server: Record<string, Endpoint> = {
      IDZ: () => ({ name: host.name, host: host.host, id: host.id }),
      STATSZ: () => host.statsz(),
      VARZ: () => host.varz(),
      CONNZ: (body) => host.connz(connzOptions(body)),
      SUBSZ: (body) => host.subsz(subszOptions(body)),
      JSZ: (body) => host.jsz(jszOptions(body)),
      LEAFZ: (body) => host.leafz({ subs: body["subscriptions"] === true }),
      HEALTHZ: () => host.healthz(),
    };
    for (const [name, endpoint] of Object.entries(server)) {
      const answer = name === "STATSZ" ? this.#statszAnswer(endpoint) : this.#answer(endpoint);
      this.#listen(`$SYS.REQ.SERVER.PING.${name}`, answer);
      this.#listen(`$SYS.REQ.SERVER.${host.id}.${name}`, answer);
    }
    this.#listen("$SYS.REQ.SERVER.PING", this.#statszAnswer(server["STATSZ"]!));
    const perAccount: Record<string, Endpoint> = {
      CONNZ: (body, account) => host.connz({ ...connzOptions(body), account: account! }),
      SUBSZ: (body) => host.subsz({ ...subszOptions(body), subs: true }),
      JSZ: (body, account) => host.jsz({ ...jszOptions(body), account: account! }),
      LEAFZ: (body, account) => host.leafz({ subs: body["subscriptions"] === true, account: account! }),
    };
    for (const [name, endpoint] of Object.entries(perAccount)) {
      this.#listen(`$SYS.REQ.ACCOUNT.*.${name}`, this.#answer(endpoint));
    }
    this.#scheduleStatsz();
  }

  /** `$SYS.ACCOUNT.<account>.CONNECT`, when a client has connected (authenticated). */
  clientConnected(client: Client): void {
    this.#event(`$SYS.ACCOUNT.${client.account}.CONNECT`, () => ({
      type: "io.nats.server.advisory.v1.client_connect",
      id: eventId(),
      timestamp: new Date().toISOString(),
      server: this.#serverInfo(),
      client: clientInfo(client, undefined),
    }));
  }

  /** `$SYS.ACCOUNT.<account>.DISCONNECT`, when a client that had connected is gone. */
  clientDisconnected(client: Client, reason: string): void {
    this.#event(`$SYS.ACCOUNT.${client.account}.DISCONNECT`, () => ({
      type: "io.nats.server.advisory.v1.client_disconnect",
      id: eventId(),
      timestamp: new Date().toISOString(),
      server: this.#serverInfo(),
      client: clientInfo(client, Date.now()),
      sent: { msgs: client.outMsgs, bytes: client.outBytes },
      received: { msgs: client.inMsgs, bytes: client.inBytes },
      reason,
    }));
  }

  /** `$SYS.REQ.USER.INFO`: who the asking client is, in its own account's reply subject. */
  userInfo(client: Client): string {
    const data: Body = { user: client.user ?? "", account: client.account };
    const permissions = publicPermissions(client.permissions);
    if (permissions !== undefined) data["permissions"] = permissions;
    return JSON.stringify({ server: this.#serverInfo(), data });
  }

  close(): void {
    if (this.#statszTimer !== undefined) clearTimeout(this.#statszTimer);
    this.#statszTimer = undefined;
    for (const sub of this.#subs.splice(0)) this.#account.sublist.remove(sub);
  }

  /**
   * Answers requests on `subject` in the system account with `handle` (other services, such as
   * the resolver's claim requests, add theirs here). A handler that throws is reported, never
   * unwinds the publish.
   */
  serve(subject: string, handle: (subject: string, reply: string, body: string) => void): void {
    this.#listen(subject, handle);
  }

  /** Publishes `{ server, ...body }` to `subject` in the system account (a reply to a request). */
  reply(subject: string, body: Record<string, unknown>): void {
    this.#reply(subject, { server: this.#serverInfo(), ...body });
  }

  /** Publishes a raw text (a claim lookup answers with the JWT itself). */
  replyText(subject: string, text: string): void {
    route(this.#publisher, undefined, subject, "", -1, text, 0, Buffer.byteLength(text));
  }

  #listen(subject: string, handle: (subject: string, reply: string, body: string) => void): void {
    const sink: MessageSink = {
      kind: SinkKind.inProcess,
      echo: true,
      guard: undefined,
      deliver: (_sub, subj, reply, headerSize, data, start, end) => {
        try {
          handle(subj, reply, bodyText(headerSize, data, start, end));
        } catch (err) {
          this.#host.error(err);
        }
        return true;
      },
      maxReached: () => {},
    };
    const sub = new Subscription(sink, subject, undefined, `sys-${this.#subs.length + 1}`);
    this.#account.sublist.insert(sub);
    this.#subs.push(sub);
  }

  /** zReq: options from the body, filters, then `{ server, data }` or `{ server, error }`. */
  #answer(endpoint: Endpoint): (subject: string, reply: string, body: string) => void {
    return (subject, reply, text) => {
      if (reply === "") return;
      const parsed = parseBody(text);
      if (parsed instanceof RequestError) return this.#reply(reply, { server: this.#serverInfo(), error: errorJson(parsed) });
      if (!this.#matchesFilter(parsed)) return;
      const account = subject.startsWith("$SYS.REQ.ACCOUNT.") ? subject.split(".")[3] : undefined;
      try {
        this.#reply(reply, { server: this.#serverInfo(), data: endpoint(parsed, account) });
      } catch (err) {
        const failure = err instanceof RequestError ? err : new RequestError(500, err instanceof Error ? err.message : String(err));
        this.#reply(reply, { server: this.#serverInfo(), error: errorJson(failure) });
      }
    };
  }

  /** statszReq answers `{ server, statsz }`, not the API envelope. */
  #statszAnswer(endpoint: Endpoint): (subject: string, reply: string, body: string) => void {
    return (_subject, reply, text) => {
      const parsed = parseBody(text);
      const to = reply === "" ? `$SYS.SERVER.${this.#host.id}.STATSZ` : reply;
      if (parsed instanceof RequestError) return this.#reply(to, { server: this.#serverInfo(), error: errorJson(parsed) });
      if (!this.#matchesFilter(parsed)) return;
      this.#reply(to, { server: this.#serverInfo(), statsz: endpoint(parsed, undefined) });
    };
  }

  /** EventFilterOptions: a request for other servers is not answered. */
  #matchesFilter(body: Body): boolean {
    const exact = body["exact_match"] === true;
    const test = (want: unknown, have: string): boolean => typeof want !== "string" || want === "" || (exact ? have === want : have.includes(want));
    if (!test(body["server_name"], this.#host.name) || !test(body["host"], this.#host.host)) return false;
    if (typeof body["cluster"] === "string" && body["cluster"] !== "") return false;
    if (typeof body["domain"] === "string" && body["domain"] !== "" && body["domain"] !== this.#host.domain) return false;
    const tags = body["tags"];
    return !Array.isArray(tags) || tags.length === 0;
  }

  #serverInfo(): Body {
    const host = this.#host;
    const info: Body = { name: host.name, host: host.host, id: host.id };
    if (host.domain !== undefined) info["domain"] = host.domain;
    info["ver"] = host.version;
    info["jetstream"] = host.jetstream;
    info["flags"] = host.jetstream ? 1 : 0;
    info["seq"] = ++this.#seq;
    info["time"] = new Date().toISOString();
    return info;
  }

  #reply(subject: string, body: unknown): void {
    const json = JSON.stringify(body);
    route(this.#publisher, undefined, subject, "", -1, json, 0, Buffer.byteLength(json));
  }

  #event(subject: string, body: () => unknown): void {
    // Built only for someone listening: events are for the system account's users.
    const result = this.#publisher.match(subject);
    if (result.psubs.length + result.qsubs.length === 0) return;
    this.#reply(subject, body());
  }

  #scheduleStatsz(): void {
    this.#statszTimer = setTimeout(() => {
      this.#statszDelay = Math.min(this.#statszDelay * 2, STATSZ_MAX_MS);
      try {
        const subject = `$SYS.SERVER.${this.#host.id}.STATSZ`;
        const result = this.#publisher.match(subject);
        if (result.psubs.length + result.qsubs.length > 0) this.#reply(subject, { server: this.#serverInfo(), statsz: this.#host.statsz() });
      } catch (err) {
        this.#host.error(err);
      }
      this.#scheduleStatsz();
    }, this.#statszDelay);
    this.#statszTimer.unref();
  }
}

function bodyText(headerSize: number, data: Payload, start: number, end: number): string {
  if (typeof data === "string") return data;
  const from = headerSize > 0 ? start + headerSize : start;
  return Buffer.from(data.buffer, data.byteOffset + from, end - from).toString("utf8");
}

function parseBody(text: string): Body | RequestError {
  if (text.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Body;
    return new RequestError(400, "json: cannot unmarshal into options");
  } catch (err) {
    return new RequestError(400, (err as Error).message);
  }
}

function errorJson(err: RequestError): Body {
  return { code: err.code, description: err.message };
}

const CONN_STATES = ["open", "closed", "all"] as const;

function connzOptions(body: Body): ConnzOptions {
  const out: ConnzOptions = {};
  if (typeof body["sort"] === "string") out.sort = body["sort"];
  if (body["auth"] === true) out.auth = true;
  if (body["subscriptions"] === true) out.subs = true;
  if (body["subscriptions_detail"] === true) out.subs = "detail";
  if (typeof body["offset"] === "number") out.offset = body["offset"];
  if (typeof body["limit"] === "number") out.limit = body["limit"];
  if (typeof body["cid"] === "number") out.cid = body["cid"];
  if (typeof body["state"] === "number") out.state = CONN_STATES[body["state"]] ?? "open";
  return out;
}

function subszOptions(body: Body): SubszOptions {
  const out: SubszOptions = {};
  if (body["subscriptions"] === true) out.subs = true;
  if (typeof body["offset"] === "number") out.offset = body["offset"];
  if (typeof body["limit"] === "number") out.limit = body["limit"];
  if (typeof body["test"] === "string") out.test = body["test"];
  return out;
}

function jszOptions(body: Body): JszOptions {
  const out: JszOptions = {};
  for (const key of ["accounts", "streams", "consumers", "config"] as const) if (body[key] === true) out[key] = true;
  if (typeof body["account"] === "string") out.account = body["account"];
  if (typeof body["offset"] === "number") out.offset = body["offset"];
  if (typeof body["limit"] === "number") out.limit = body["limit"];
  return out;
}

/** events.go ClientInfo, as the connect and disconnect events carry it. */
function clientInfo(client: Client, stop: number | undefined): Body {
  const { name, lang, version } = client.connectOptions;
  const info: Body = { start: new Date(client.start).toISOString() };
  if (client.info.remoteAddress !== undefined) info["host"] = client.info.remoteAddress;
  info["id"] = client.cid;
  info["acc"] = client.account;
  if (client.user !== undefined && client.user !== "") info["user"] = client.user;
  if (name !== "") info["name"] = name;
  if (lang !== "") info["lang"] = lang;
  if (version !== "") info["ver"] = version;
  if (client.rtt > 0) info["rtt"] = Math.round(client.rtt * 1e6);
  if (stop !== undefined) info["stop"] = new Date(stop).toISOString();
  info["kind"] = "Client";
  info["client_type"] = client.info.transport === "websocket" ? "websocket" : "nats";
  return info;
}

/** client.go publicPermissions: the user's permissions as USER.INFO shows them. */
function publicPermissions(permissions: Permissions | undefined): Body | undefined {
  if (permissions === undefined) return undefined;
  const out: Body = {};
  const side = (p: Permissions["publish"]): Body | undefined => {
    if (p === undefined) return undefined;
    const { allow, deny } = Array.isArray(p) ? { allow: p, deny: undefined } : p;
    const o: Body = {};
    if (allow !== undefined && allow.length > 0) o["allow"] = allow;
    if (deny !== undefined && deny.length > 0) o["deny"] = deny;
    return o;
  };
  const publish = side(permissions.publish);
  const subscribe = side(permissions.subscribe);
  if (publish !== undefined) out["publish"] = publish;
  if (subscribe !== undefined) out["subscribe"] = subscribe;
  const responses = permissions.allowResponses;
  if (responses !== undefined && responses !== false) {
    const r = responses === true ? {} : responses;
    out["responses"] = { max: r.max ?? 1, ttl: (r.expires ?? 120_000) * 1e6 };
  }
  return out;
}

function eventId(): string {
  return randomBytes(16).toString("base64url").replace(/[-_]/g, "A").slice(0, 22);
}
