// Archiving a course is final (issue 16 defect 9): a first click asks, a second one on another
// button archives. Used by the set-up page and the admin page.
import { useState } from "preact/hooks";
import { api } from "./api.ts";
import { apiErrorText } from "./errors.ts";
import { t } from "./i18n.ts";

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
      setError(apiErrorText(e));
    }
  };
  return (
    <section class="card archive" aria-labelledby={`archive-h-${courseId}`}>
      <h2 id={`archive-h-${courseId}`}>{t("archive.title")}</h2>
      {!asking ? (
        <button type="button" class="danger" onClick={() => setAsking(true)}>
          {t("archive.ask")}
        </button>
      ) : (
        <div role="alertdialog" aria-labelledby={`archive-q-${courseId}`} class="confirm">
          <p id={`archive-q-${courseId}`}>{t("archive.question", { title })}</p>
          <div class="row">
            <button type="button" class="danger" onClick={archive}>
              {t("archive.confirm")}
            </button>
            <button type="button" autoFocus onClick={() => setAsking(false)}>
              {t("archive.keep")}
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
