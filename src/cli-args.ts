/**
 * nats-server's command-line flags mapped onto `createServer` options. Kept apart from the
 * entry point so it can be tested without starting anything.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { DEFAULT_HOST, DEFAULT_PORT } from "./constants.ts";
import { InvalidOptionError } from "./errors.ts";
import type { ServerOptions } from "./server/options.ts";

export const USAGE = `Usage: nats-embedded [options]

Server Options:
    -a, --addr, --net <host>         Bind to host address (default: ${DEFAULT_HOST})
    -p, --port <port>                Use port for clients (default: ${DEFAULT_PORT}, -1 for random)
    -n, --name, --server_name <name> Server name (default: server id)
        --max_payload <bytes>        Maximum message payload (default: 1MB)

Logging Options:
    -D, --debug                      Enable debugging output
    -V, --trace                      Trace the raw protocol
    -DV                              Debug and trace

Common Options:
    -h, --help                       Show this message
    -v, --version                    Show version
`;

/** Flags as nats-server names them (Go's flag package: one or two dashes, `=` optional). */
const FLAGS = {
  addr: { type: "string", short: "a" },
  net: { type: "string" },
  port: { type: "string", short: "p" },
  name: { type: "string", short: "n" },
  server_name: { type: "string" },
  max_payload: { type: "string" },
  debug: { type: "boolean", short: "D" },
  trace: { type: "boolean", short: "V" },
  DV: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const satisfies ParseArgsConfig["options"];

type FlagName = keyof typeof FLAGS;

function flagByName(name: string): FlagName | undefined {
  for (const [long, spec] of Object.entries(FLAGS)) {
    if (long === name || ("short" in spec && spec.short === name)) return long as FlagName;
  }
  return undefined;
}

/**
 * Rewrites Go-style arguments into the `--long=value` form `util.parseArgs` understands:
 * Go accepts `-port 4222`, `--port 4222` and `-p -1` (a value may start with a dash).
 */
export function normalizeArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([^=-][^=]*)(?:=(.*))?$/.exec(arg);
    const name = m === null ? undefined : flagByName(m[1]!);
    if (m === null || name === undefined) {
      out.push(arg);
      continue;
    }
    if (FLAGS[name].type === "boolean") {
      out.push(`--${name}`);
    } else if (m[2] !== undefined) {
      out.push(`--${name}=${m[2]}`);
    } else if (i + 1 < argv.length) {
      out.push(`--${name}=${argv[++i]}`);
    } else {
      out.push(`--${name}`);
    }
  }
  return out;
}

function parseInteger(flag: string, text: string): number {
  if (!/^-?\d+$/.test(text)) throw new InvalidOptionError(flag, `needs an integer, got "${text}"`);
  return Number(text);
}

/** What the command line asks for. */
export type CliRequest =
  | { readonly help: true }
  | { readonly version: true }
  | { readonly options: ServerOptions; readonly debug: boolean; readonly trace: boolean };

/** Turns command-line arguments into server options, or a request for help/version. */
export function optionsFromArgs(argv: readonly string[]): CliRequest {
  const { values } = parseArgs({ args: normalizeArgs(argv), options: FLAGS, strict: true, allowPositionals: false });
  if (values.help === true) return { help: true };
  if (values.version === true) return { version: true };
  const options: ServerOptions = { host: values.addr ?? values.net ?? DEFAULT_HOST, port: DEFAULT_PORT };
  if (values.port !== undefined) {
    const port = parseInteger("port", values.port);
    // nats-server: -1 asks for a random port.
    options.port = port === -1 ? 0 : port;
  }
  const name = values.name ?? values.server_name;
  if (name !== undefined) options.serverName = name;
  if (values.max_payload !== undefined) options.maxPayload = parseInteger("max_payload", values.max_payload);
  const debug = values.debug === true || values.DV === true;
  const trace = values.trace === true || values.DV === true;
  return { options, debug, trace };
}

