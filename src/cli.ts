#!/usr/bin/env node
/**
 * `nats-embedded`: runs the broker as a process, with nats-server's flag names so that
 * scripts and test launchers written for nats-server work unchanged, and nats-server's
 * `Server is ready` line (testcontainers and nats-memory-server wait for that exact text).
 */
import { optionsFromArgs, USAGE, type CliRequest } from "./cli-args.ts";
import { SERVER_VERSION } from "./constants.ts";
import { consoleLogger } from "./console-logger.ts";
import { createServer, type Server } from "./server/server.ts";

async function main(argv: readonly string[]): Promise<number> {
  let parsed: CliRequest;
  try {
    parsed = optionsFromArgs(argv);
  } catch (err) {
    process.stderr.write(`nats-embedded: ${(err as Error).message}\n\n${USAGE}`);
    return 1;
  }
  if ("help" in parsed) {
    process.stdout.write(USAGE);
    return 0;
  }
  if ("version" in parsed) {
    process.stdout.write(`nats-embedded: v${SERVER_VERSION}\n`);
    return 0;
  }
  const logger = consoleLogger({ debug: parsed.debug, trace: parsed.trace });
  let server: Server;
  try {
    server = createServer({ ...parsed.options, logger });
  } catch (err) {
    logger.error((err as Error).message);
    return 1;
  }
  server.on("error", (err) => logger.error(err.message));
  logger.info("Starting nats-embedded");
  logger.info(`  Version:  ${SERVER_VERSION}`);
  logger.info(`  Name:     ${parsed.options.serverName ?? server.id}`);
  logger.info(`  ID:       ${server.id}`);
  try {
    await server.listen();
  } catch (err) {
    logger.error(`Error listening on port: ${(err as Error).message}`);
    await server.close();
    return 1;
  }
  logger.info("Server is ready");
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info(`Trapped "${signal}" signal`);
      resolve();
    };
    process.once("SIGINT", () => stop("interrupt"));
    process.once("SIGTERM", () => stop("terminated"));
  });
  await server.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`nats-embedded: ${String(err)}\n`);
    process.exit(1);
  },
);
