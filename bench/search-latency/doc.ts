import { readFileSync, writeFileSync } from "node:fs";

const HEADING = "## Search latency";
const BEGIN = "<!-- Written by bench/search-latency.ts: a new run replaces the text from here to the end marker. -->";
const END = "<!-- End of the text written by bench/search-latency.ts. -->";

/**
 * Puts `generated` into the "Search latency" section of the benchmarks page: between the
 * markers when the section has them, or in a new section at the end of the page. Text of the
 * section outside the markers, such as notes on the figures, is kept.
 */
export function writeSection(file: string, generated: string): void {
  const page = readFileSync(file, "utf8");
  const block = `${BEGIN}\n\n${generated}\n\n${END}`;
  const begin = page.indexOf(BEGIN);
  const end = page.indexOf(END);

  if (begin >= 0 && end > begin) {
    writeFileSync(file, page.slice(0, begin) + block + page.slice(end + END.length));
    return;
  }
  if (new RegExp(`^${HEADING}\\s*$`, "m").test(page)) {
    throw new Error(`${file} has a "${HEADING}" section without the markers of this script. Remove the section, or add the markers around its figures.`);
  }
  writeFileSync(file, `${page.trimEnd()}\n\n${HEADING}\n\n${block}\n`);
}
