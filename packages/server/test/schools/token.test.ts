// The `school` claim: carried into the principal, the default school without it, refused when not an id.
import { expect, test } from "bun:test";
import { SignJWT } from "jose";
import { createTokenVerifier, mintToken } from "../../src/auth/tokens.ts";
import { parseConfig } from "../../src/config/config.ts";

const SECRET = "school-claim-test-secret-0123456789abcdef";
const verifier = createTokenVerifier(parseConfig({}).jwt, SECRET);

test("a token's school claim is the principal's school; none means the default school", async () => {
  const north = await mintToken(SECRET, { sub: "t9", role: "teacher", school: "north", ttlSeconds: 60 });
  expect(await verifier.verify(north)).toEqual({ id: "t9", role: "teacher", name: "t9", school: "north" });
  const plain = await mintToken(SECRET, { sub: "t1", role: "teacher", ttlSeconds: 60 });
  expect((await verifier.verify(plain)).school).toBe("default");
});

test("a school claim that is not a school id is an invalid token", async () => {
  for (const school of ["", "../x", 42, ["north"], "a".repeat(129)]) {
    const bad = await new SignJWT({ role: "student", school })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("s1")
      .setIssuedAt()
      .setExpirationTime("1m")
      .sign(new TextEncoder().encode(SECRET));
    await expect(verifier.verify(bad)).rejects.toMatchObject({ code: "invalid-token", detail: expect.stringContaining("school claim") });
  }
});
