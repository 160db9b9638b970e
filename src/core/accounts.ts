/**
 * The accounts of a server, as nats-server's `accounts { }`: `$G` for every connection that
 * names no account, and one isolated subject space per configured account, joined only where
 * one exports and another imports (account-links.ts). Everything is checked before anything
 * is linked: a definition nats-server would refuse (an import of what is not exported, or not
 * to this account, a chain of imports that comes back on itself) is refused here, whole.
 */
import { InvalidOptionError } from "../base/errors.ts";
import { isValidLiteralSubject, isValidSubject } from "../subjects/subject.ts";
import type { Sublist } from "../subjects/sublist.ts";
import { Account, GLOBAL_ACCOUNT } from "./account.ts";
import type { Subscription } from "./subscription.ts";
import { isSubjectSubset, linkServiceImport, linkStreamImport, type ServiceResponseType } from "./account-links.ts";
import { SubjectMappings, type SubjectMappingOptions } from "./subject-mappings.ts";

export type { ServiceResponseType };

/** What an account offers: a stream (its messages) or a service (requests it answers). */
export interface AccountExport {
  /** Subject (wildcards allowed) whose messages importers receive. */
  stream?: string;
  /** Subject (wildcards allowed) on which importers may send requests. */
  service?: string;
  /** Only these accounts may import it; every account when absent (a public export). */
  accounts?: string[];
  /** @internal An account JWT's `token_req`: only imports {@link AccountImport.activated} by a token may use it. */
  tokenRequired?: boolean;
  /** For a service: how many responses one request gets. Default `singleton`. */
  responseType?: ServiceResponseType;
  /** For a service: milliseconds the responses to one request may take. Default 2 minutes. */
  responseThreshold?: number;
  /**
   * For a service: a traced request stays traced in this account (nats-server's `allow_trace`).
   * Default false: the trace reports the import and stops there.
   */
  allowTrace?: boolean;
}

/** What an account takes from another's exports. */
export interface AccountImport {
  /** Another account's stream export, or a part of it. */
  stream?: { account: string; subject: string };
  /** Another account's service export, or a part of it. */
  service?: { account: string; subject: string };
  /** Stream: the subjects appear here as `<prefix>.<subject>`. */
  prefix?: string;
  /** @internal Carries an activation token its exporter signed for this account (checked in auth/activation.ts). */
  activated?: boolean;
  /** The subject it has in this account (same wildcards, in the same order). */
  to?: string;
  /**
   * For a stream: a traced message stays traced in this account (nats-server's `allow_trace`).
   * Default false: the trace reports the export and stops there.
   */
  allowTrace?: boolean;
}

/** An account's limits; -1 (or absent) for none. */
export interface AccountLimits {
  /** Client connections at once (nats-server's `max_connections`, a JWT's `conn`). */
  connections?: number;
  /** Subscriptions per connection (`max_subscriptions`, a JWT's `subs`). */
  subscriptions?: number;
  /** Bytes of one message's payload a connection of the account may publish (a JWT's `payload`). */
  payload?: number;
  /** Leaf node links the account may have at once, both directions (`max_leafnodes`, a JWT's `leaf`). */
  leafNodes?: number;
}

/** One account's definition (beside its users, which authentication holds). */
export interface AccountDefinition {
  exports?: AccountExport[];
  imports?: AccountImport[];
  limits?: AccountLimits;
  /** Subject mappings (nats-server's account `mappings`). */
  mappings?: SubjectMappingOptions;
  /**
   * nats-server 2.11's account `msg_trace`: a message carrying a sampled W3C `traceparent`
   * header is traced to `dest` (see docs/tracing.md), `sampling` percent of them (default 100).
   */
  msgTrace?: string | { dest: string; sampling?: number };
}

/** An account's JetStream limits as `$JS.API.INFO` reports them (nats-server's `JetStreamAccountLimits`). */
export interface AccountJetStreamLimits {
  readonly maxMemory: number;
  readonly maxStore: number;
  readonly maxStreams: number;
  readonly maxConsumers: number;
  readonly maxBytesRequired: boolean;
  readonly memoryMaxStreamBytes: number;
  readonly storeMaxStreamBytes: number;
  /**
   * The tier the limits came from (`R1` for an account JWT's `tiered_limits`): `$JS.API.INFO`
   * then reports them under `tiers`, as nats-server does.
   */
  readonly tier?: string;
}

/** nats-server's default system account. */
export const DEFAULT_SYSTEM_ACCOUNT = "$SYS";

export class Accounts {
  /** `$G`: the account of every connection whose user names none. */
  readonly global: Account;
  /** Where the server's events and request endpoints live; undefined when turned off. */
  readonly system: Account | undefined;
  readonly #byName = new Map<string, Account>();
  readonly #unlink: (() => void)[] = [];
  readonly #definitions: Record<string, AccountDefinition> = {};
  readonly #newSublist: (() => Sublist<Subscription>) | undefined;
  readonly #onBadImport: ((err: InvalidOptionError) => void) | undefined;

  /**
   * @param systemAccount the system account's name (created when not defined), or false for
   *   none (nats-server's `no_system_account`).
   */
  constructor(
    global: Account,
    definitions: Readonly<Record<string, AccountDefinition>> = {},
    systemAccount: string | false = DEFAULT_SYSTEM_ACCOUNT,
    /**
     * Told of each import that cannot be linked, which is then left out; without it such an
     * import is an error. Operator mode passes it: nats-server logs a bad import in an account
     * JWT and goes on without it.
     */
    onBadImport?: (err: InvalidOptionError) => void,
    /**
     * Makes each other account's sublist (the server passes one that reports interest
     * changes when routes or leaf nodes must hear of them).
     */
    newSublist?: () => Sublist<Subscription>,
  ) {
    this.global = global;
    this.#byName.set(global.name, global);
    this.#newSublist = newSublist;
    this.#onBadImport = onBadImport;
    for (const name of Object.keys(definitions)) this.#define(name, definitions[name]!);
    if (systemAccount === GLOBAL_ACCOUNT) throw new InvalidOptionError("systemAccount", "the global account cannot be the system account");
    if (systemAccount !== false && systemAccount !== DEFAULT_SYSTEM_ACCOUNT && !this.#byName.has(systemAccount)) {
      // nats-server: system_account must name a configured account (other than the default).
      throw new InvalidOptionError("systemAccount", `account ${JSON.stringify(systemAccount)} does not exist`);
    }
    if (systemAccount !== false && !this.#byName.has(systemAccount)) this.#byName.set(systemAccount, new Account(systemAccount, newSublist?.()));
    this.system = systemAccount === false ? undefined : this.#byName.get(systemAccount);
    this.#link();
  }

  /** Creates the account `name` if new, and takes on the definition's limits and mappings. */
  #define(name: string, definition: AccountDefinition): void {
    if (name === "" || /\s/.test(name)) throw new InvalidOptionError("accounts", `${JSON.stringify(name)} is not an account name`);
    this.#definitions[name] = definition;
    if (!this.#byName.has(name)) this.#byName.set(name, new Account(name, this.#newSublist?.()));
    const account = this.#byName.get(name)!;
    const limits = definition.limits;
    account.maxConnections = limits?.connections ?? -1;
    account.maxSubscriptions = limits?.subscriptions ?? -1;
    account.maxPayload = limits?.payload ?? -1;
    account.maxLeafNodes = limits?.leafNodes ?? -1;
    const mappings = definition.mappings;
    account.mappings = mappings !== undefined && Object.keys(mappings).length > 0 ? new SubjectMappings(mappings, `accounts.${name}.mappings`) : undefined;
    const msgTrace = definition.msgTrace;
    if (msgTrace !== undefined) applyMsgTrace(account, msgTrace, `accounts.${name}.msgTrace`);
  }

  /**
   * An account's definition changed, or a new account came (a claim update): it is taken on,
   * and every import is linked again, since exports and imports may point either way.
   */
  upsert(name: string, definition: AccountDefinition): Account {
    this.#define(name, definition);
    this.unlink();
    this.#link();
    return this.#byName.get(name)!;
  }

  #link(): void {
    const plan = planLinks(this.#definitions, (name) => this.#byName.has(name), this.#onBadImport);
    for (const link of plan) {
      const exporter = this.#byName.get(link.exporter)!;
      const importer = this.#byName.get(link.importer)!;
      this.#unlink.push(
        link.kind === "stream"
          ? linkStreamImport(exporter, link.subject, importer, link.to, link.allowTrace)
          : linkServiceImport(exporter, link.subject, importer, link.to, link.responseType, link.responseThreshold, link.allowTrace),
      );
    }
  }

  /** The account named `name`; `$G` for none. */
  get(name: string | undefined): Account | undefined {
    return name === undefined || name === "" ? this.global : this.#byName.get(name);
  }

  /** Every account, `$G` first. */
  list(): Account[] {
    return [...this.#byName.values()];
  }

  /** Removes every import's subscriptions (the accounts are being replaced). */
  unlink(): void {
    for (const unlink of this.#unlink.splice(0)) unlink();
  }
}

/** opts.go parseMessageTrace's checks and words. */
function applyMsgTrace(account: Account, msgTrace: NonNullable<AccountDefinition["msgTrace"]>, at: string): void {
  const { dest, sampling = 100 } = typeof msgTrace === "string" ? { dest: msgTrace } : msgTrace;
  if (typeof dest !== "string" || !isValidLiteralSubject(dest)) throw new InvalidOptionError(at, `Trace destination ${JSON.stringify(dest)} is not valid`);
  if (!Number.isInteger(sampling) || sampling < 1 || sampling > 100) throw new InvalidOptionError(at, `Trace destination sampling value ${sampling} is invalid, needs to be [1..100]`);
  account.traceDest = dest;
  account.traceSampling = sampling;
}

interface PlannedLink {
  kind: "stream" | "service";
  exporter: string;
  importer: string;
  /** The subject in the exporter's account. */
  subject: string;
  /** The subject in the importer's account. */
  to: string;
  responseType: ServiceResponseType;
  responseThreshold: number | undefined;
  allowTrace: boolean;
}

/** Checks every export and import, and says what to link; throws at the first problem. */
function planLinks(
  definitions: Readonly<Record<string, AccountDefinition>>,
  exists: (name: string) => boolean,
  onBadImport: ((err: InvalidOptionError) => void) | undefined,
): PlannedLink[] {
  const links: PlannedLink[] = [];
  for (const [name, definition] of Object.entries(definitions)) {
    for (const [i, exp] of (definition.exports ?? []).entries()) checkExport(`accounts.${name}.exports[${i}]`, exp, exists);
  }
  for (const [importer, definition] of Object.entries(definitions)) {
    for (const [i, imp] of (definition.imports ?? []).entries()) {
      const at = `accounts.${importer}.imports[${i}]`;
      try {
        links.push(planImport(definitions, exists, importer, at, imp));
      } catch (err) {
        if (onBadImport === undefined || !(err instanceof InvalidOptionError)) throw err;
        onBadImport(err);
      }
    }
  }
  refuseCycles(links);
  return links;
}

function planImport(
  definitions: Readonly<Record<string, AccountDefinition>>,
  exists: (name: string) => boolean,
  importer: string,
  at: string,
  imp: AccountImport,
): PlannedLink {
  const kind = imp.stream !== undefined ? "stream" : "service";
  const source = imp.stream ?? imp.service;
  if (source === undefined || (imp.stream !== undefined && imp.service !== undefined)) {
    throw new InvalidOptionError(at, "an import names one stream or one service");
  }
  if (!exists(source.account)) throw new InvalidOptionError(at, `account ${JSON.stringify(source.account)} does not exist`);
  if (source.account === importer) throw new InvalidOptionError(at, "an account cannot import from itself");
  if (!isValidSubject(source.subject)) throw new InvalidOptionError(at, `${JSON.stringify(source.subject)} is not a valid subject`);
  const exported = (definitions[source.account]?.exports ?? []).find(
    (e) => (kind === "stream" ? e.stream : e.service) !== undefined && isSubjectSubset(source.subject, (kind === "stream" ? e.stream : e.service)!),
  );
  // nats-server's words for both (accounts.go AddStreamImport, AddServiceImport).
  if (exported === undefined) throw new InvalidOptionError(at, `${kind} import not authorized: ${source.account} does not export ${source.subject}`);
  if (exported.tokenRequired === true && imp.activated !== true) {
    throw new InvalidOptionError(at, `${kind} import not authorized: ${source.account} requires an activation token for ${source.subject}`);
  }
  if (exported.accounts !== undefined && !exported.accounts.includes(importer)) {
    throw new InvalidOptionError(at, `${kind} import not authorized: ${source.account} exports ${source.subject} only to ${exported.accounts.join(", ")}`);
  }
  let to = imp.to ?? source.subject;
  if (imp.prefix !== undefined) {
    if (kind === "service") throw new InvalidOptionError(at, "prefix applies to stream imports; use to");
    if (imp.to !== undefined) throw new InvalidOptionError(at, "prefix and to cannot be combined");
    to = `${imp.prefix}.${source.subject}`;
  }
  if (!isValidSubject(to)) throw new InvalidOptionError(at, `${JSON.stringify(to)} is not a valid subject`);
  if (wildcards(to) !== wildcards(source.subject)) {
    throw new InvalidOptionError(at, `${JSON.stringify(to)} must have the wildcards of ${JSON.stringify(source.subject)}, in the same order`);
  }
  return {
    kind,
    exporter: source.account,
    importer,
    subject: source.subject,
    to,
    responseType: exported.responseType ?? "singleton",
    responseThreshold: exported.responseThreshold,
    allowTrace: (kind === "stream" ? imp.allowTrace : exported.allowTrace) === true,
  };
}

function checkExport(at: string, exp: AccountExport, exists: (name: string) => boolean): void {
  const subject = exp.stream ?? exp.service;
  if (subject === undefined || (exp.stream !== undefined && exp.service !== undefined)) {
    throw new InvalidOptionError(at, "an export names one stream or one service");
  }
  if (!isValidSubject(subject)) throw new InvalidOptionError(at, `${JSON.stringify(subject)} is not a valid subject`);
  for (const name of exp.accounts ?? []) {
    if (!exists(name)) throw new InvalidOptionError(at, `account ${JSON.stringify(name)} does not exist`);
  }
  if (exp.stream !== undefined && (exp.responseType !== undefined || exp.responseThreshold !== undefined)) {
    throw new InvalidOptionError(at, "response settings apply to service exports");
  }
  const threshold = exp.responseThreshold;
  if (threshold !== undefined && (!Number.isInteger(threshold) || threshold <= 0)) {
    throw new InvalidOptionError(at, `responseThreshold must be a positive integer (ms), got ${threshold}`);
  }
}

function wildcards(subject: string): string {
  return subject
    .split(".")
    .filter((t) => t === "*" || t === ">")
    .join("");
}

/**
 * A message must not be able to go round: a stream flows exporter → importer, a request
 * importer → exporter, and a path of either kind whose subjects lead back into its first link
 * is refused (nats-server: "import forms a cycle").
 */
function refuseCycles(links: readonly PlannedLink[]): void {
  for (const kind of ["stream", "service"] as const) {
    const edges = links.filter((l) => l.kind === kind);
    // Edges as the message travels: from the account it is published in, to the next one.
    const from = (l: PlannedLink): string => (kind === "stream" ? l.exporter : l.importer);
    const next = (l: PlannedLink): string => (kind === "stream" ? l.importer : l.exporter);
    const inSubject = (l: PlannedLink): string => (kind === "stream" ? l.subject : l.to);
    const outSubject = (l: PlannedLink): string => (kind === "stream" ? l.to : l.subject);
    const visit = (start: PlannedLink, at: PlannedLink, depth: number): void => {
      if (depth > edges.length) return;
      for (const e of edges) {
        if (from(e) !== next(at) || !overlaps(outSubject(at), inSubject(e))) continue;
        if (e === start) {
          throw new InvalidOptionError(`accounts.${start.importer}.imports`, `${kind} import of ${start.subject} from ${start.exporter} forms a cycle`);
        }
        visit(start, e, depth + 1);
      }
    };
    for (const e of edges) visit(e, e, 0);
  }
}

/** Whether some subject matches both patterns. */
function overlaps(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const s = x[i];
    const t = y[i];
    if (s === ">" || t === ">") return s !== undefined && t !== undefined;
    if (s === undefined || t === undefined) return false;
    if (s !== "*" && t !== "*" && s !== t) return false;
  }
  return true;
}

export { GLOBAL_ACCOUNT };
