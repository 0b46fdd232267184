/**
 * Finds where JSON text stops being valid (RFC 8259), for error messages. Called only after
 * `JSON.parse` failed, because the engine's own message does not always give a position.
 */
export function locateJsonError(text: string): { offset: number; expected: string } {
  const scanner = new Scanner(text);
  try {
    scanner.skipSpace();
    scanner.value(0);
    scanner.skipSpace();
    if (scanner.offset < text.length) return { offset: scanner.offset, expected: "end of input" };
    return { offset: text.length, expected: "a JSON value" };
  } catch (error) {
    if (error instanceof ScanError) return { offset: error.offset, expected: error.expected };
    throw error;
  }
}

class ScanError extends Error {
  constructor(
    readonly offset: number,
    readonly expected: string,
  ) {
    super(expected);
  }
}

/** Nesting depth past which the scanner stops, so hostile input cannot exhaust the stack. */
const MAX_SCAN_DEPTH = 1_000;

class Scanner {
  offset = 0;
  constructor(private readonly text: string) {}

  skipSpace(): void {
    while (this.offset < this.text.length && " \t\n\r".includes(this.text[this.offset]!)) this.offset++;
  }

  value(depth: number): void {
    if (depth > MAX_SCAN_DEPTH) throw new ScanError(this.offset, "less deeply nested JSON");
    const char = this.text[this.offset];
    if (char === "{") return this.object(depth);
    if (char === "[") return this.array(depth);
    if (char === '"') return this.string();
    if (char === "-" || (char !== undefined && char >= "0" && char <= "9")) return this.number();
    for (const literal of ["true", "false", "null"]) {
      if (this.text.startsWith(literal, this.offset)) {
        this.offset += literal.length;
        return;
      }
    }
    throw new ScanError(this.offset, "a JSON value");
  }

  private object(depth: number): void {
    this.offset++;
    this.skipSpace();
    if (this.text[this.offset] === "}") {
      this.offset++;
      return;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.offset] !== '"') throw new ScanError(this.offset, "a property name in double quotes");
      this.string();
      this.skipSpace();
      this.expect(":");
      this.skipSpace();
      this.value(depth + 1);
      this.skipSpace();
      if (this.text[this.offset] === ",") {
        this.offset++;
        continue;
      }
      this.expect("}");
      return;
    }
  }

  private array(depth: number): void {
    this.offset++;
    this.skipSpace();
    if (this.text[this.offset] === "]") {
      this.offset++;
      return;
    }
    for (;;) {
      this.skipSpace();
      this.value(depth + 1);
      this.skipSpace();
      if (this.text[this.offset] === ",") {
        this.offset++;
        continue;
      }
      this.expect("]");
      return;
    }
  }

  private string(): void {
    this.offset++;
    while (this.offset < this.text.length) {
      const code = this.text.charCodeAt(this.offset);
      if (code === 0x22) {
        this.offset++;
        return;
      }
      if (code < 0x20) throw new ScanError(this.offset, "no control characters inside a string (escape them)");
      if (code === 0x5c) {
        const escape = this.text[this.offset + 1];
        if (escape === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.offset + 2, this.offset + 6))) {
            throw new ScanError(this.offset, "four hex digits after \\u");
          }
          this.offset += 6;
          continue;
        }
        if (escape === undefined || !'"\\/bfnrt'.includes(escape)) throw new ScanError(this.offset, "a valid escape sequence");
        this.offset += 2;
        continue;
      }
      this.offset++;
    }
    throw new ScanError(this.offset, "a closing double quote");
  }

  private number(): void {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.offset, this.offset + 400));
    if (match === null) throw new ScanError(this.offset, "a number");
    this.offset += match[0].length;
  }

  private expect(char: string): void {
    if (this.text[this.offset] !== char) throw new ScanError(this.offset, `"${char}"`);
    this.offset++;
  }
}
