#!/usr/bin/env node
/**
 * `nats-embedded`: runs the broker as a process, with nats-server's flags, configuration file,
 * ports file and signals, so that scripts and test launchers written for nats-server work
 * unchanged; and nats-server's `Server is ready` line (testcontainers and nats-memory-server
 * wait for that exact text).
 *
 * The process is the broker: launchers find the ports file by the pid they spawned, so this
 * entry never forks.
 */
import { parseCommandLine, resolveSettings, USAGE, type CliFlags } from "./cli-args.ts";
import { ConfigError } from "./config/config-error.ts";
import { loadConfigFile, type LoadedConfig } from "./config/load.ts";
import { listenerUrls, removePortsFile, writePortsFile } from "./config/ports-file.ts";
import { planReload, type RunSettings } from "./config/reload.ts";
import { SERVER_VERSION } from "./base/constants.ts";
import { consoleLogger, LogDestination, type ConsoleLogger } from "./console-logger.ts";
import { createServer, type Server } from "./server/server.ts";

/** What the running broker needs to reload: its flags, its settings in force, its outputs. */
interface Running {
  readonly flags: CliFlags;
  readonly server: Server;
  readonly logger: ConsoleLogger;
  readonly output: LogDestination;
  settings: RunSettings;
  portsFile: string | undefined;
}

/** Writes the ports file for the settings' directory, if one is set; logs a failure, as nats-server. */
function publishPorts(running: Running): void {
  const dir = running.settings.portsFileDir;
  if (dir === undefined) return;
  const { nats, monitoring, websocket, cluster } = running.server.ports;
  try {
    running.portsFile = writePortsFile(dir, {
      nats: nats === undefined ? [] : listenerUrls("nats", nats.host, nats.port),
      monitoring: monitoring === undefined ? [] : listenerUrls(running.server.options.http?.secure === true ? "https" : "http", monitoring.host, monitoring.port),
      websocket: websocket === undefined ? [] : listenerUrls(running.server.options.websocket?.tls !== undefined ? "wss" : "ws", websocket.host, websocket.port),
      // server.go PortsInfo: the route listener as nats://host:port.
      ...(cluster !== undefined && { cluster: listenerUrls("nats", cluster.host, cluster.port) }),
    });
  } catch (err) {
    running.logger.error(`Error writing ports file (${dir}): ${(err as Error).message}`);
  }
}

function unpublishPorts(running: Running): void {
  if (running.portsFile === undefined) return;
  try {
    removePortsFile(running.portsFile);
  } catch (err) {
    running.logger.error(`Error cleaning up ports file ${running.portsFile}: ${(err as Error).message}`);
  }
  running.portsFile = undefined;
}

/**
 * SIGHUP: reads the configuration file again and applies what changed, all or nothing, as
 * nats-server's `Reload`. Flags still override the file. Limits and authorization go to
 * `Server.reload`, which re-checks every connected client against the new users and
 * permissions. Logs each change as nats-server does (`Reloaded: max_payload = 2048`,
 * `Reloaded: authorization users`), or why nothing was applied.
 */
async function reloadConfiguration(running: Running): Promise<void> {
  const { logger, flags } = running;
  const fail = (why: string): void => logger.error(`Failed to reload server configuration: ${why}`);
  if (flags.configFile === undefined) return fail("can only reload config when a file is provided using -c or --config");
  let config: LoadedConfig;
  try {
    config = loadConfigFile(flags.configFile);
  } catch (err) {
    return fail((err as Error).message);
  }
  let next: RunSettings;
  try {
    next = resolveSettings(flags, config);
  } catch (err) {
    return fail((err as Error).message);
  }
  for (const warning of config.warnings) logger.warn(warning);
  const plan = planReload(running.settings, next);
  const refused = plan.refused[0];
  if (refused !== undefined) return fail(`config reload not supported for ${refused.key}: old=${refused.from}, new=${refused.to}`);
  const toServer = plan.changes.some((change) => change.appliesTo === "server");
  // Everything that can fail goes first: the new log file, then the server.
  const previousLog = running.output.path;
  try {
    running.output.use(next.logFile);
  } catch (err) {
    return fail(`cannot open log file: ${(err as Error).message}`);
  }
  if (toServer) {
    try {
      running.server.reload(plan.server);
    } catch (err) {
      running.output.use(previousLog);
      return fail((err as Error).message);
    }
  }
  logger.setLevels(next);
  const movePortsFile = next.portsFileDir !== running.settings.portsFileDir;
  if (movePortsFile) unpublishPorts(running);
  running.settings = next;
  if (movePortsFile) publishPorts(running);
  for (const change of plan.changes) logger.info(`Reloaded: ${change.key}${change.to === undefined ? "" : ` = ${change.to}`}`);
  logger.info(`Reloaded server configuration`);
}

async function main(argv: readonly string[]): Promise<number> {
  let flags: CliFlags;
  try {
    const request = parseCommandLine(argv);
    if ("help" in request) {
      process.stdout.write(USAGE);
      return 0;
    }
    if ("version" in request) {
      process.stdout.write(`nats-embedded: v${SERVER_VERSION}\n`);
      return 0;
    }
    flags = request.flags;
  } catch (err) {
    process.stderr.write(`nats-embedded: ${(err as Error).message}\n\n${USAGE}`);
    return 1;
  }

  // Before logging is set up, errors go to stderr (nats-server does the same).
  let config: LoadedConfig | undefined;
  if (flags.configFile !== undefined) {
    try {
      config = loadConfigFile(flags.configFile);
    } catch (err) {
      const message = err instanceof ConfigError ? err.message : String(err);
      process.stderr.write(`nats-embedded: ${message}\n`);
      return 1;
    }
  }
  let settings: RunSettings;
  try {
    settings = resolveSettings(flags, config);
  } catch (err) {
    process.stderr.write(`nats-embedded: ${(err as Error).message}\n`);
    return 1;
  }
  const output = new LogDestination();
  try {
    output.use(settings.logFile);
  } catch (err) {
    process.stderr.write(`nats-embedded: cannot open log file: ${(err as Error).message}\n`);
    return 1;
  }
  const logger = consoleLogger({ debug: settings.debug, trace: settings.trace, write: (line) => output.write(line) });
  try {
    for (const warning of config?.warnings ?? []) logger.warn(warning);
    let server: Server;
    try {
      server = createServer({ ...settings.options, logger, trace: settings.trace });
    } catch (err) {
      logger.error((err as Error).message);
      return 1;
    }
    server.on("error", (err) => logger.error(err.message));
    logger.info("Starting nats-embedded");
    logger.info(`  Version:  ${SERVER_VERSION}`);
    logger.info(`  Name:     ${settings.options.serverName ?? server.id}`);
    logger.info(`  ID:       ${server.id}`);
    if (config !== undefined) logger.info(`Using configuration file: ${config.file}`);
    try {
      await server.listen();
    } catch (err) {
      logger.error(`Error listening on port: ${(err as Error).message}`);
      await server.close();
      return 1;
    }

    const running: Running = { flags, server, logger, output, settings, portsFile: undefined };
    // The ports file must not outlive the process, whatever ends it (short of SIGKILL).
    const removeAtExit = (): void => unpublishPorts(running);
    process.once("exit", removeAtExit);
    publishPorts(running);

    let reloading = Promise.resolve();
    const onHangup = (): void => {
      reloading = reloading.then(() => reloadConfiguration(running));
    };
    // signal.go: SIGINT stops; SIGTERM stops unless lame duck mode is under way; SIGUSR2 enters
    // lame duck mode, at whose end the server shuts down and the process exits.
    let onInterrupt = (): void => {};
    let onTerminate = (): void => {};
    let onLameDuck = (): void => {};
    await new Promise<void>((resolve) => {
      onInterrupt = () => {
        logger.info(`Trapped "interrupt" signal`);
        resolve();
      };
      onTerminate = () => {
        if (server.inLameDuckMode) return;
        logger.info(`Trapped "terminated" signal`);
        resolve();
      };
      onLameDuck = () => {
        server.lameDuck().then(resolve, (err: Error) => {
          logger.error(`Lame duck mode failed: ${err.message}`);
          resolve();
        });
      };
      process.on("SIGINT", onInterrupt);
      process.on("SIGTERM", onTerminate);
      process.on("SIGHUP", onHangup);
      process.on("SIGUSR2", onLameDuck);
      // Only now: whoever waits for this line may signal at once, and a signal that arrives
      // before its handler takes the process down (SIGHUP's default action).
      logger.info("Server is ready");
    });
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onTerminate);
    process.off("SIGHUP", onHangup);
    process.off("SIGUSR2", onLameDuck);
    await reloading;
    unpublishPorts(running);
    process.off("exit", removeAtExit);
    await server.close();
    return 0;
  } finally {
    output.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`nats-embedded: ${String(err)}\n`);
    process.exit(1);
  },
);
