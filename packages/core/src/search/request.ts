
/**
 * A token search value (R4 search.html#token): `code`, `system|code`, `|code` (no system) or
 * `system|` (any code in the system). `system` is "" for `|code` and undefined when absent.
 */
export interface TokenValue {
  system?: string;
  code?: string;
}

