/**
 * The layers of src/, as docs/architecture.md draws them. Each folder may import only the
 * folders listed for it; anything else fails `npm test` with the rule's name. The list is
 * ordered bottom-up, and a folder lists only folders above it in this file, so no two
 * folders can import each other.
 */
const layers = [
  // base: knows nothing of NATS routing
  ["base", []],
  // core: subjects, the protocol, routing and the connection core
  ["subjects", ["base"]],
  ["protocol", ["base", "subjects"]],
  ["core", ["base", "subjects", "protocol"]],
  // features that stand on the core alone
  ["auth", ["base", "subjects", "protocol", "core"]],
  ["transport", ["base", "subjects", "protocol", "core"]],
  ["direct", ["base", "subjects", "protocol", "core"]],
  // JetStream's storage knows only subjects
  ["jetstream/store", ["base", "subjects"]],
  // JetStream, bottom-up: what both of its sides share (the contracts between them, the API
  // error catalogue, wire types and times), then the stream side and the consumer side, which
  // know each other only through shared/contracts.ts, then the API on top of the stream side
  ["jetstream/shared", ["base", "subjects", "direct", "jetstream/store"]],
  ["jetstream/stream", ["base", "subjects", "direct", "jetstream/store", "jetstream/shared"]],
  ["jetstream/consumer", ["base", "subjects", "direct", "jetstream/store", "jetstream/shared"]],
  ["jetstream/api", ["base", "direct", "jetstream/store", "jetstream/shared", "jetstream/stream"]],
  // features that build on the in-process API or on auth and TLS; jetstream/ itself wires its
  // sub-folders together (the service, its options, its start on demand)
  ["jetstream", ["base", "subjects", "protocol", "core", "direct", "jetstream/store", "jetstream/shared", "jetstream/stream", "jetstream/consumer", "jetstream/api"]],
  ["leafnode", ["base", "subjects", "protocol", "core", "auth", "transport"]],
  ["route", ["base", "subjects", "protocol", "core", "auth", "transport"]],
  // every feature's options in one shape: what createServer() and the config file produce
  ["options", ["base", "subjects", "core", "auth", "transport", "jetstream", "leafnode", "route"]],
  // readers of the whole: monitoring and the config file
  ["monitor", ["base", "subjects", "protocol", "core", "direct", "jetstream", "jetstream/shared", "jetstream/stream", "leafnode", "route", "options"]],
  ["config", ["base", "subjects", "core", "auth", "transport", "jetstream", "leafnode", "route", "options"]],
  // wiring: the Server that builds it all
  ["server", ["base", "subjects", "protocol", "core", "auth", "transport", "direct", "jetstream", "jetstream/store", "jetstream/shared", "jetstream/stream", "jetstream/consumer", "jetstream/api", "leafnode", "route", "options", "monitor", "config"]],
];

const escape = (s) => s.replace(/[/]/g, "\\/");
// A folder's own files, not those of a sub-folder that is a layer of its own.
const own = (folder) => {
  const subs = layers.map(([f]) => f).filter((f) => f.startsWith(`${folder}/`));
  return subs.length === 0 ? `^src/${escape(folder)}/` : `^src/${escape(folder)}/(?!(?:${subs.map((s) => escape(s.slice(folder.length + 1))).join("|")})/)`;
};

module.exports = {
  forbidden: [
    ...layers.map(([folder, allowed]) => ({
      name: `layer-${folder.replaceAll("/", "-")}`,
      comment: `src/${folder}/ may import only: ${allowed.length ? allowed.join(", ") : "nothing of src/"} (docs/architecture.md)`,
      severity: "error",
      from: { path: own(folder) },
      to: {
        path: "^src/",
        pathNot: [own(folder), ...allowed.map(own)],
      },
    })),
    {
      name: "no-import-of-the-entry-points",
      comment: "src/*.ts (index, cli, testing) is the top: nothing in a folder of src/ imports it",
      severity: "error",
      from: { path: "^src/[^/]+/" },
      to: { path: "^src/[^/]+\\.ts$" },
    },
    {
      name: "no-circular",
      comment: "modules that load each other at run time, directly or through others (type-only imports are erased)",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "^(test|bench|examples|scripts|dist)/" },
  },
};
