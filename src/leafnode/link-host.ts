import type { AuthenticatedUser, ConnectCredentials } from "../auth/authenticator.ts";
import type { Account } from "../core/account.ts";
import type { Permissions } from "../core/permissions.ts";
import type { TrafficStats } from "../core/client.ts";
import type { Logger } from "../base/logger.ts";
import type { CloseReasonText } from "../core/close-reason.ts";
import type { ConnectionSettings } from "../core/connection-settings.ts";
import type { MessageSink } from "../core/subscription.ts";
import type { LeafCloseInfo, LeafLink } from "./leaf-link.ts";

/** An accepted spoke: who it authenticated as, and the account its link lives in. */
export interface LeafAdmission {
  readonly user: AuthenticatedUser;
  readonly account: Account;
}

/** What a {@link LeafLink} needs from the leaf node manager (and, through it, the server). */
export interface LinkHost {
  readonly options: ConnectionSettings & { readonly host: string };
  readonly logger: Logger;
  readonly stats: TrafficStats;
  readonly serverId: string;
  readonly serverName: string;
  /** The cluster this server is a member of, if any (our CONNECT's `cluster`). */
  clusterName(): string | undefined;
  /** This server's loop detection subject (`$LDS.<random>`). */
  readonly lds: string;
  /** Milliseconds a link has to finish its handshake. */
  readonly handshakeTimeout: number;
  isLink(sink: MessageSink): sink is LeafLink;
  /**
   * Accept side: checks a spoke's CONNECT (the leaf port's authorization, else as a client's)
   * and names the account the link binds; false when refused or the account is unknown.
   */
  authenticate(creds: ConnectCredentials, nonce: string | undefined, remoteAddress: string | undefined): LeafAdmission | false | Promise<LeafAdmission | false>;
  /**
   * Accept side: the INFO that tells a spoke its CONNECT was accepted (`connect_info`), with
   * the account it is bound to (`remote_account`) and its permissions as `import`/`export`
   * so that it can enforce them on its side.
   */
  connectInfo(cid: number, account: string, permissions: Permissions | undefined): string;
  /** The handshake is done: the manager fills in and sends our interest. */
  established(link: LeafLink): void;
  /** A message from the peer, for local subscribers and other links. */
  routeInbound(
    source: LeafLink,
    subject: string,
    reply: string,
    queues: readonly string[] | undefined,
    headerSize: number,
    data: Buffer,
    start: number,
    end: number,
  ): void;
  /** The link was cut for not keeping up (pending bytes or write deadline): count it, tell the host. */
  slowConsumer(link: LeafLink, reason: CloseReasonText): void;
  /** The peer sent `-ERR`. */
  remoteError(link: LeafLink, text: string): void;
  closed(link: LeafLink, info: LeafCloseInfo): void;
}
