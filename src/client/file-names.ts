/**
 * Characters that reorder the text around them: embeddings, overrides and isolates, the direction marks.
 * A node takes them in file names (they are not control characters), so `report\u202Egnp.exe` would read
 * "reportexe.png" wherever it is drawn as it is, and be saved as an `.exe`.
 */
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/** A file name as shown to a person: each reordering character written out (`[U+202E]`), so what is read is what is saved. */
export function shownFileName(name: string): string {
  return name.replace(
    BIDI_CONTROLS,
    (c) => `[U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`,
  );
}

/** The name a download is saved under: without the reordering characters. */
export function savedFileName(name: string): string {
  return name.replace(BIDI_CONTROLS, '');
}
