// Images in questions (issue 16 build 2): a course's teacher uploads a PNG, JPEG, WebP or GIF of
// at most MAX_IMAGE_BYTES; the type is read from the file's first bytes and must match the
// Content-Type sent; the image is served with that type, nosniff and a long cache. The id is 128
// random bits: a plain <img> loads it without the bearer token (whoever has the question has it).
import * as v from "valibot";
import { assertCanManageCourse } from "../../domain/courses.ts";
import { AppError, notFound } from "../../domain/errors.ts";
import type { SqliteImages } from "../../store/sqlite/images.ts";
import type { Store } from "../../store/types.ts";
import { route, type RouteDef } from "../endpoint.ts";
import { json } from "../problem.ts";
import { id } from "../validate.ts";

export const MAX_IMAGE_BYTES = 1024 * 1024;
const IMAGE_ID = /^[A-Za-z0-9_-]{22}$/;

/** The image type from its magic bytes, or null. */
export function sniffImage(b: Uint8Array): "image/png" | "image/jpeg" | "image/webp" | "image/gif" | null {
  const at = (i: number, ...xs: number[]) => xs.every((x, j) => b[i + j] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "image/png";
  if (at(0, 0xff, 0xd8, 0xff)) return "image/jpeg";
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return "image/webp";
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return "image/gif";
  return null;
}

const randomId = () => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");

export function imageRoutes(store: Pick<Store, "courses">, images: SqliteImages, now: () => number): RouteDef[] {
  return [
    route({
      method: "POST",
      path: "/api/courses/:id/images",
      auth: ["teacher", "school-admin", "admin"],
      schema: { params: v.strictObject({ id }) },
      async handle({ req, params, principal }) {
        const courseId = params.id;
        const course = store.courses.get(courseId);
        if (!course) throw notFound("course", courseId);
        assertCanManageCourse(principal, course);
        const declared = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
        if (Number(req.headers.get("content-length") ?? 0) > MAX_IMAGE_BYTES)
          throw new AppError("payload-too-large", `an image is at most ${MAX_IMAGE_BYTES} bytes`);
        const bytes = new Uint8Array(await req.arrayBuffer());
        if (bytes.byteLength > MAX_IMAGE_BYTES) throw new AppError("payload-too-large", `an image is at most ${MAX_IMAGE_BYTES} bytes`);
        const type = sniffImage(bytes);
        if (type === null) throw new AppError("unsupported-media-type", "send a PNG, JPEG, WebP or GIF image");
        if (declared !== type)
          throw new AppError(
            "unsupported-media-type",
            `the file is ${type}, not ${declared || "an unnamed type"}: send it with Content-Type ${type}`,
          );
        const image = { id: randomId(), courseId, schoolId: course.schoolId, type, bytes, createdAt: now() };
        images.insert(image);
        return json({ id: image.id, url: `/api/images/${image.id}`, type, bytes: bytes.byteLength }, 201, {
          location: `/api/images/${image.id}`,
        });
      },
    }),
    route({
      method: "GET",
      path: "/api/images/:id",
      auth: "public",
      handle({ params }) {
        const imageId = String(params.id ?? "");
        const image = IMAGE_ID.test(imageId) ? images.get(imageId) : undefined;
        if (!image) throw notFound("image", imageId.slice(0, 64));
        return new Response(new Uint8Array(image.bytes).buffer as ArrayBuffer, {
          headers: {
            "content-type": image.type,
            "x-content-type-options": "nosniff",
            "cache-control": "public, max-age=31536000, immutable",
            "content-security-policy": "default-src 'none'; sandbox",
          },
        });
      },
    }),
  ];
}
