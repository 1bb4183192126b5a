// Images in questions (issue 16 build 2): uploaded by the course's teacher, size-limited, the type
// read from the bytes and matched against Content-Type, served with that type and nosniff; the
// live question carries the picture's URL.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { sniffImage, MAX_IMAGE_BYTES } from "../../src/http/routes/images.ts";
import { publicQuestion } from "../../src/domain/live/quiz.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

// A 1x1 transparent PNG.
const PNG = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="), (c) =>
  c.charCodeAt(0),
);

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
}, 30_000);
afterAll(() => t?.close());

const post = (course: string, token: string, body: Uint8Array | string, type: string) =>
  fetch(`${t.base}/api/courses/${course}/images`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": type },
    body: body as BodyInit,
  });

test("types from the bytes", () => {
  expect(sniffImage(PNG)).toBe("image/png");
  expect(sniffImage(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe("image/jpeg");
  expect(sniffImage(new TextEncoder().encode("GIF89a..."))).toBe("image/gif");
  expect(sniffImage(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "))).toBe("image/webp");
  expect(sniffImage(new TextEncoder().encode("<svg onload=alert(1)>"))).toBeNull();
});

test("upload, serve with its type; wrong type, not an image, too large, a student: refused", async () => {
  const tok = await t.token("teacher", "t-img");
  const course = (await t.call("POST", "/api/courses", { token: tok, body: { title: "Pictures" } })).body.id as string;
  const up = await post(course, tok, PNG, "image/png");
  expect(up.status).toBe(201);
  const { id, url } = (await up.json()) as { id: string; url: string };
  const got = await fetch(`${t.base}${url}`); // no token: an <img> sends none
  expect(got.status).toBe(200);
  expect(got.headers.get("content-type")).toBe("image/png");
  expect(got.headers.get("x-content-type-options")).toBe("nosniff");
  expect(new Uint8Array(await got.arrayBuffer())).toEqual(PNG);

  const mismatch = await post(course, tok, PNG, "image/jpeg");
  expect(mismatch.status).toBe(415);
  expect(((await mismatch.json()) as { detail: string }).detail).toContain("image/png");
  expect((await post(course, tok, "<svg onload=alert(1)>", "image/svg+xml")).status).toBe(415);
  const big = new Uint8Array(MAX_IMAGE_BYTES + 1);
  big.set(PNG);
  expect((await post(course, tok, big, "image/png")).status).toBe(413);
  expect((await post(course, await t.token("student", "s1"), PNG, "image/png")).status).toBe(403);
  expect((await fetch(`${t.base}/api/images/not-an-id`)).status).toBe(404);

  // A bank question with the picture; its live form carries the URL and the words.
  const q = await t.call("POST", `/api/courses/${course}/questions`, {
    token: tok,
    body: { kind: "true_false", prompt: "Is this a dot?", correct: true, image: id, imageAlt: "a single pixel" },
  });
  expect(q.status).toBe(201);
  expect(
    (
      await t.call("POST", `/api/courses/${course}/questions`, {
        token: tok,
        body: { kind: "true_false", prompt: "x", correct: true, image: "../../etc/passwd" },
      })
    ).status,
  ).toBe(400);
  const launched = {
    id: "l1",
    classId: "k",
    bankQuestionId: q.body.id,
    draft: q.body,
    launchedAt: 0,
    deadline: 1,
    closedAt: null,
    revealedAt: null,
    eligible: 0,
  };
  expect(publicQuestion(launched)).toMatchObject({ image: `/api/images/${id}`, imageAlt: "a single pixel" });
});
