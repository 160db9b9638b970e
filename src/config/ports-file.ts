/**
 * The ports file of nats-server (server.go `logPorts`): `<dir>/nats-server_<pid>.ports`, holding
 * the URLs of each listener as compact JSON, `{"nats":["nats://127.0.0.1:4222"]}`. Test launchers
 * (nats.js's among them) start `nats-server -c file` with `ports_file_dir` and a random port,
 * wait for this file named after the pid they spawned, and connect to the URL in it.
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";

/** The listeners' URLs, in nats-server's field order; empty lists are left out, as its `omitempty`. */
export interface PortsInfo {
  readonly nats?: readonly string[];
  readonly monitoring?: readonly string[];
  readonly cluster?: readonly string[];
  readonly profile?: readonly string[];
  readonly websocket?: readonly string[];
}

/**
 * The file name nats-server uses. (It takes the executable's name; launchers look for
 * `nats-server_<pid>.ports`, so that is the name, whatever runs us.)
 */
export function portsFilePath(dir: string, pid: number = process.pid): string {
  return join(dir, `nats-server_${pid}.ports`);
}

function isUnspecified(host: string): boolean {
  return host === "" || host === "0.0.0.0" || host === "::" || host === "[::]";
}

function hostPort(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * `scheme://host:port` for a listener. Bound to every interface (`0.0.0.0`, `::`), it lists
 * each interface address, as nats-server's `resolveHostPorts`.
 */
export function listenerUrls(scheme: string, host: string, port: number): string[] {
  if (!isUnspecified(host)) return [`${scheme}://${hostPort(host, port)}`];
  const urls: string[] = [];
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) urls.push(`${scheme}://${hostPort(address.address, port)}`);
  }
  return urls;
}

/** The file's JSON: nats-server's `json.Marshal` of its `Ports` struct. */
export function portsFileJson(ports: PortsInfo): string {
  const out: Record<string, readonly string[]> = {};
  for (const field of ["nats", "monitoring", "cluster", "profile", "websocket"] as const) {
    const urls = ports[field];
    if (urls !== undefined && urls.length > 0) out[field] = urls;
  }
  return JSON.stringify(out);
}

/**
 * Writes the ports file and returns its path. Written to a temporary name and renamed, so a
 * launcher polling for the file never reads half of it.
 */
export function writePortsFile(dir: string, ports: PortsInfo, pid: number = process.pid): string {
  const path = portsFilePath(dir, pid);
  const partial = join(dir, `.nats-server_${pid}.ports.partial`);
  writeFileSync(partial, portsFileJson(ports));
  renameSync(partial, path);
  return path;
}

/** Removes a ports file; a file already gone is fine. */
export function removePortsFile(path: string): void {
  rmSync(path, { force: true });
}
