/**
 * The callout's native Ed25519 JWTs agree with @nats-io/nkeys and @nats-io/jwt, both ways, and
 * refuse what those refuse.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decode, encodeUser } from "@nats-io/jwt";
import { createAccount, createUser, fromPublic } from "@nats-io/nkeys";
import { decodeJwt, decodePublicKey, encodeJwt, encodePublicKey, newNkey, NKEY_PREFIX } from "../../src/auth/nkey-jwt.ts";

describe("nkey JWTs on node:crypto", () => {
  it("public keys round-trip with @nats-io/nkeys, and a bad checksum or length is refused", () => {
    const user = createUser().getPublicKey();
    const raw = decodePublicKey(user);
    assert.ok(raw !== undefined);
    assert.equal(encodePublicKey(NKEY_PREFIX.user, raw), user);
    const mine = newNkey(NKEY_PREFIX.server).publicKey;
    assert.match(mine, /^N[A-Z2-7]{55}$/);
    assert.equal(fromPublic(mine).getPublicKey(), mine, "nkeys accepts it (its checksum included)");
    const flipped = user.slice(0, 10) + (user[10] === "A" ? "B" : "A") + user.slice(11);
    assert.equal(decodePublicKey(flipped), undefined);
    assert.equal(decodePublicKey(user.slice(1)), undefined);
    assert.equal(decodePublicKey("U" + "1".repeat(55)), undefined);
  });

  it("reads @nats-io/jwt's JWTs, and @nats-io/jwt reads ours", async () => {
    const account = createAccount();
    const user = createUser();
    const theirs = await encodeUser("bob", user, account, { pub: { allow: ["a"] } }, { aud: "A" });
    const claims = decodeJwt(theirs);
    assert.equal(claims.iss, account.getPublicKey());
    assert.equal(claims.sub, user.getPublicKey());
    assert.equal(claims.aud, "A");
    const signer = newNkey(NKEY_PREFIX.server);
    const ours = encodeJwt({ sub: "x", aud: "y", nats: { type: "authorization_request", version: 2 } }, signer);
    const read = decode<Record<string, unknown>>(ours);
    assert.equal(read.iss, signer.publicKey);
    assert.equal(read.nats["type"], "authorization_request");
  });

  it("refuses a tampered body, a foreign signature, and what is not a JWT", async () => {
    const account = createAccount();
    const jwt = await encodeUser("bob", createUser(), account, {}, { aud: "A" });
    const [h, b, s] = jwt.split(".") as [string, string, string];
    const body = JSON.parse(Buffer.from(b, "base64url").toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...body, aud: "B" })).toString("base64url")}.${s}`;
    assert.throws(() => decodeJwt(tampered), /does not verify/);
    const other = await encodeUser("bob", createUser(), createAccount(), {}, { aud: "A" });
    assert.throws(() => decodeJwt(`${h}.${b}.${other.split(".")[2]!}`), /does not verify/);
    for (const junk of ["", "a.b", "a.b.c", "eyJ0eXAiOiJKV1QifQ.e30.", `${h}.${Buffer.from('{"iss":"nope","sub":"x"}').toString("base64url")}.${s}`]) {
      assert.throws(() => decodeJwt(junk), Error, junk);
    }
  });
});
