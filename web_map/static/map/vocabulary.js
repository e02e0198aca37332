// The titles of the catalogue's choice lists (layers/, served in /api/config): screens show a
// code's title in the reader's language, never the code the data holds.
import { currentLanguage } from "./i18n.js";

let vocabulary = {};

/** Keep /api/config's ``vocabulary``: {collection: {field: {code: {el, en}}}}. */
export function setVocabulary(served) {
  vocabulary = served ?? {};
}

/** The title of ``code`` of ``layer``'s ``field`` in the current language (the code itself if
 * the catalogue does not know it, so a new code still shows). */
export function choiceTitle(layer, field, code) {
  if (code === null || code === undefined) return "";
  return vocabulary[layer]?.[field]?.[code]?.[currentLanguage()] ?? String(code);
}

/** The choice fields of ``layer``: {field: {code: {el, en}}}. */
export function choiceFields(layer) {
  return vocabulary[layer] ?? {};
}

/** Fill every ``<option data-choice="layer.field">`` with its value's title (the staff filter
 * lists request statuses from the catalogue). */
export function labelChoiceOptions(root = document) {
  for (const option of root.querySelectorAll("option[data-choice]")) {
    const [layer, field] = option.dataset.choice.split(".");
    option.textContent = choiceTitle(layer, field, option.value);
  }
}
