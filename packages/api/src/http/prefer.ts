/** Preferences from the `Prefer` header (R4 http.html#return and search.html#errors). */
export interface Preferences {
  /** Absent when the header has no `return`; each interaction then picks its own default. */
  return?: "minimal" | "representation" | "OperationOutcome";
  handling: "strict" | "lenient";
}

export function parsePrefer(header: string | undefined): Preferences {
  const preferences: Preferences = { handling: "lenient" };
  for (const token of (header ?? "").split(/[,;]/)) {
    const [name, value] = token.split("=").map((part) => part.trim().replace(/^"|"$/g, ""));
    if (name === "return" && (value === "minimal" || value === "representation" || value === "OperationOutcome")) {
      preferences.return = value;
    }
    if (name === "handling" && (value === "strict" || value === "lenient")) preferences.handling = value;
  }
  return preferences;
}
