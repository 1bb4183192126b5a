// Archiving a course is final (issue 16 defect 9): a first click asks, a second one on another
// button archives. Used by the set-up page and the admin page.
import { useState } from "preact/hooks";
import { api } from "./api.ts";

/** Archiving is final: a first click asks, a second one (on a different button) archives. */
export function ArchiveCourse({ courseId, title, onDone }: { courseId: string; title: string; onDone(): void }) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState("");
  const archive = async () => {
    try {
      await api("POST", `/api/courses/${encodeURIComponent(courseId)}/archive`);
      setAsking(false);
      onDone();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section class="card archive" aria-labelledby={`archive-h-${courseId}`}>
      <h2 id={`archive-h-${courseId}`}>Archive</h2>
      {!asking ? (
        <button class="danger" onClick={() => setAsking(true)}>
          Archive course…
        </button>
      ) : (
        <div role="alertdialog" aria-labelledby={`archive-q-${courseId}`} class="confirm">
          <p id={`archive-q-${courseId}`}>
            Archive “{title}”? This is final: it cannot be undone, students can no longer join its classes and anyone in a live class of it is taken out.
          </p>
          <div class="row">
            <button class="danger" onClick={archive}>
              Archive for good
            </button>
            <button autoFocus onClick={() => setAsking(false)}>
              Keep the course
            </button>
          </div>
        </div>
      )}
      <p class="error" role="alert">
        {error}
      </p>
    </section>
  );
}

