/**
 * The KV and object store examples run to completion: each asserts its own outcome and exits
 * non-zero if anything is off, so a zero exit and the expected lines prove it works.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));

async function runExample(file: string): Promise<string> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", file], { cwd: root, timeout: 60_000 });
  return stdout;
}

describe("examples", () => {
  it("examples/kv-config-service.ts: the service follows config changes", async () => {
    const out = await runExample("examples/kv-config-service.ts");
    assert.match(out, /greet: hi, ada/);
    assert.match(out, /greet: GOOD MORNING, GRACE/);
    assert.match(out, /greeter\.shout deleted \(revision 4\)/);
  });

  it("examples/object-file-drop.ts: the downloaded copy matches the upload", async () => {
    const out = await runExample("examples/object-file-drop.ts");
    assert.match(out, /uploader: put report\.bin: 3145728 bytes in 24 chunks/);
    assert.match(out, /the copy matches the original/);
  });
});
