// The floor for bench:http: a bare Bun.serve answering the same JSON with no auth, validation, storage, logs or metrics.
const course = process.env.COURSE_JSON ?? "{}";
const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
  routes: {
    "/api/courses/:id": { GET: () => new Response(course, { headers: { "content-type": "application/json" } }) },
    "/api/courses/:id/enrollments": {
      POST: async (req) => {
        const body = (await req.json()) as { studentIds: string[] };
        return Response.json({ enrolled: body.studentIds.length, alreadyEnrolled: 0 }, { status: 201 });
      },
    },
  },
  fetch: () => new Response("not found", { status: 404 }),
});
console.log(`bare listening on ${server.port}`);
